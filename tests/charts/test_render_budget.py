"""A chart cannot exhaust time or memory: every way of amplifying work or output that
slipped past per-operation limits is refused with the template file and line, through
the CLI, and nothing is written. A normal chart renders as before."""

from __future__ import annotations

import pytest

from tests.errors.clirun import assert_clean_failure, kcompile, tree_digest, write_tree

CHART = {
    "c/Chart.yaml": "name: c\nversion: 1.0.0\n",
    "c/values.yaml": "x: 1\nwords: [a, b, c]\n",
    "ov/kcompile.yaml": "charts: [{chart: ../c, release: r}]\n",
}
HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"

# name -> (template (its line 4 is the one that runs away), message fragment)
CASES = {
    "percent-width-from-a-variable": ("{% set n = 999999999 %}\ndata: {a: '{{ '%*d' % (n, 1) }}'}", "'%' formatting"),
    "percent-many-fields": ("{% set s = 'a' * 1000000 %}\ndata: {a: '{{ ('%(a)s' * 100) % {'a': s} }}'}",
                            "'%' formatting"),
    "format-width-from-a-variable": ("{% set n = 999999999 %}\ndata: {a: '{{ '{:{}}'.format(1, n) }}'}", "str.format()"),
    "format-repeated-field": ("{% set s = 'a' * 1000000 %}\ndata: {a: '{{ ('{0}' * 1000).format(s) }}'}", "str.format()"),
    "replace-amplification": ("{% set s = 'a' * 100000 %}\ndata: {a: '{{ s.replace('a', s) | length }}'}", "str.replace()"),
    "replace-filter-amplification": ("{% set s = 'a' * 100000 %}\ndata: {a: '{{ s | replace('a', s) | length }}'}",
                                     "replace would produce"),
    "join-of-shared-items": ("{% set s = 'a' * 1000000 %}\ndata: {a: '{{ ([s] * 9) | join(s) | length }}'}", "join"),
    "join-of-a-generator": ("{% set s = 'a' * 2000000 %}\ndata: {a: '{{ range(100) | map('string') | map('replace', '0', s) | join | length }}'}",
                            "would produce"),
    "concat-doubling-in-a-loop": ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}\ndata: {}",
                                  "more than 10000000 characters"),
    "concat-doubling-by-recursion": ("{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s | length }}{% endmacro %}\ndata: {a: '{{ f('ab', 40) }}'}",
                                     "more than 10000000 characters"),
    "indent-over-many-lines": ("{% set s = '\\n' * 5000000 %}\ndata: {a: '{{ s | indent(100) | length }}'}", "indent would produce"),
    "huge-integer-arithmetic": ("{% set ns = namespace(x=9 ** 99) %}{% for i in range(30) %}{% set ns.x = ns.x * ns.x %}{% endfor %}\ndata: {}",
                                "more than 10000 bits"),
    "huge-power": ("{% set x = 7 ** 100000 %}\ndata: {}", "more than 10000 bits"),
    "nested-loops-over-long-strings": ("{% set s = 'a' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}\ndata: {}",
                                       "operations"),
    "shared-nested-lists-to-json": ("{% set a = ['x' * 100] %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}{% set c = [b,b,b,b,b,b,b,b,b,b] %}"
                                    "{% set d = [c,c,c,c,c,c,c,c,c,c] %}{% set e = [d,d,d,d,d,d,d,d,d,d] %}{% set f = [e,e,e,e,e,e,e,e,e,e] %}"
                                    "\ndata: {a: '{{ f | to_json | length }}'}", "expanded"),
    "list-repetition-of-nested-lists": ("{% set a = ['x' * 1000] * 1000 %}\ndata: {a: '{{ ([a] * 1000) | length }}'}", "repetition"),
    "accumulated-output-in-a-loop": ("{% set s = 'a' * 5000000 %}{% for i in range(100) %}\n# {{ s }}{% endfor %}\ndata: {}",
                                     "more than 64000000 characters"),
    "accumulated-output-in-a-macro": ("{% macro m(s) %}{% for i in range(100) %}{{ s }}{% endfor %}{% endmacro %}{% set s = 'a' * 1000000 %}"
                                      "\ndata: {a: '{{ m(s) | length }}{{ m(s) | length }}'}", "more than 64000000 characters"),
    "padding-width": ("{% set n = 10 ** 9 %}\ndata: {a: '{{ 'x'.ljust(n) }}'}", "str.ljust()"),
    "expandtabs": ("{% set s = '\\t' * 1000000 %}\ndata: {a: '{{ s.expandtabs(1000) | length }}'}", "str.expandtabs()"),
    "batch-fill": ("\ndata: {a: '{{ [1] | batch(10 ** 9, 'x') | list | length }}'}", "batch"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_runaway_template_is_refused_with_file_and_line(name, tmp_path):
    template, fragment = CASES[name]
    first, _, rest = template.partition("\n")
    text = HEAD + first + "\n" + rest + "\n"  # line 4 holds the runaway part
    repo = tmp_path / "repo"
    write_tree(repo, {**CHART, "c/templates/cm.yaml.j2": text, ".git/HEAD": "ref: refs/heads/main\n"})
    before = tree_digest(repo)
    proc = kcompile(["build", "ov", "-o", "out.yaml"], repo, env={"KCOMPILE_CACHE_DIR": str(tmp_path / "cache")},
                    timeout=120)
    line = assert_clean_failure(proc, None, fragment)
    assert line.startswith(("kcompile: error: c/templates/cm.yaml.j2:4: render limit",
                            "kcompile: error: c/templates/cm.yaml.j2:5: render limit")), line
    assert tree_digest(repo) == before


def test_an_ordinary_chart_is_within_the_budget(tmp_path):
    template = HEAD + ("data:\n{% for w in values.words %}\n  {{ w }}: '{{ (w ~ '-') * 3 }}{{ '%-5s|' % w }}{{ '{:>4}'.format(w) }}'\n"
                       "{% endfor %}\n  n: '{{ 2 ** 64 }}'\n  j: '{{ values.words | join(',') | replace(',', ', ') }}'\n")
    write_tree(tmp_path, {**CHART, "c/templates/cm.yaml.j2": template})
    proc = kcompile(["build", "ov", "--no-validate"], tmp_path, env={"KCOMPILE_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert "a: a-a-a-a    |   a\n" in proc.stdout and "'n': '18446744073709551616'" in proc.stdout.replace('"', "'")
    assert "j: a, b, c\n" in proc.stdout


def test_the_operation_budget_is_counted_per_render(monkeypatch, tmp_path):
    """In-process, with a small budget: a loop under it renders, one over it does not."""
    from kcompile.charts import budget
    from kcompile.charts.render import render_chart
    from kcompile.errors import KcompileError

    monkeypatch.setattr(budget, "MAX_OPERATIONS", 5000)
    write_tree(tmp_path, {**CHART, "c/templates/cm.yaml.j2": HEAD + "data: {n: '{% for i in range(values.n) %}{% endfor %}'}\n"})
    render_chart(tmp_path / "c", release="r", namespace=None, layers=[("x", {"n": 1000})])
    with pytest.raises(KcompileError) as e:
        render_chart(tmp_path / "c", release="r", namespace=None, layers=[("x", {"n": 6000})])
    assert "more than 5000 operations" in e.value.message and e.value.line == 4


def test_the_time_budget(monkeypatch, tmp_path):
    from kcompile.charts import budget
    from kcompile.charts.render import render_chart
    from kcompile.errors import KcompileError

    monkeypatch.setattr(budget, "MAX_SECONDS", 0.0)
    write_tree(tmp_path, {**CHART, "c/templates/cm.yaml.j2": HEAD + "data: {n: '{% for i in range(9000) %}{% endfor %}'}\n"})
    with pytest.raises(KcompileError) as e:
        render_chart(tmp_path / "c", release="r", namespace=None, layers=[])
    assert "took longer than 0 seconds" in e.value.message and e.value.line == 4
