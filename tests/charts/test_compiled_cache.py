"""The compiled-template cache: the code Jinja2 generates, compiled, kept in the user cache
directory as marshal data (what Python's own .pyc files hold), content-verified, used when
the values change (the render caches miss), never trusted when an entry is damaged or
belongs to another key, and never pickled."""

from __future__ import annotations

import marshal
import shutil
import stat
from pathlib import Path
from types import CodeType

import pytest

from kcompile.charts.environment import ChartEnvironment
from kcompile.charts.render import render_chart
from kcompile.errors import KcompileError

TEMPLATES = {
    "_h.j2": "{% macro name() %}{{ release.name }}-{{ chart.name }}{% endmacro %}",
    "cm.yaml.j2": "{% import '_h.j2' as h %}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ h.name() }}}\n"
                  "data:\n{% for k, v in values.data | dictsort %}\n  {{ k }}: {{ v | quote }}\n{% endfor %}\n",
    "sub/fail.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f}\n\n"
                        "{% if values.boom %}{{ fail('boom on line 5') }}{% endif %}\n",
}


def chart(tmp: Path) -> Path:
    root = tmp / "chart"
    for rel, text in {"Chart.yaml": "name: demo\nversion: 1.0.0\n", "values.yaml": "data: {a: 1}\nboom: false\n",
                      **{f"templates/{k}": v for k, v in TEMPLATES.items()}}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def render(c: Path, cache: Path, **values):
    """A render whose output caches (the instance's and each template's) are cold: only
    the compiled-template cache can answer."""
    for rendered in ("rendered", "template-renders"):
        shutil.rmtree(cache / rendered, ignore_errors=True)
    return render_chart(c, release="r", namespace=None, layers=[("v", values)], cache_dir=cache)


def code_of(path: Path) -> CodeType:
    """The code object an entry holds (its payload follows the key and digest)."""
    data = path.read_bytes()
    key_len = int.from_bytes(data[4:6], "little")
    return marshal.loads(data[6 + key_len + 20:])


def entries(cache: Path) -> list[Path]:
    d = cache / "templates"
    return sorted(p for p in d.rglob("*") if p.is_file()) if d.is_dir() else []


@pytest.fixture()
def compiles(monkeypatch):
    """Counts Jinja2 compilations of templates."""
    calls: list[str] = []
    original = ChartEnvironment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        calls.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(ChartEnvironment, "compile", counting)
    return calls


def test_changed_values_render_from_the_compiled_cache(tmp_path, compiles):
    c, cache = chart(tmp_path), tmp_path / "cache"
    first = render(c, cache, data={"a": 1})
    assert sorted(compiles) == ["_h.j2", "cm.yaml.j2", "sub/fail.yaml.j2"] and len(entries(cache)) == 3
    compiles.clear()
    second = render(c, cache, data={"a": 2, "b": "x"})  # the render cache misses, the compiled one hits
    assert compiles == []
    assert first[0].body["data"] == {"a": "1"} and second[0].body["data"] == {"a": "2", "b": "x"}
    assert second[0].name == "r-demo"


def test_entries_are_compiled_code_in_private_files(tmp_path):
    c, cache = chart(tmp_path), tmp_path / "cache"
    render(c, cache)
    assert len(entries(cache)) == 3
    for path in entries(cache):
        code = code_of(path)  # marshal data, not a pickle
        assert isinstance(code, CodeType) and "root" in code.co_names
        assert code.co_filename.startswith(str(c / "templates"))
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_errors_on_a_cache_hit_name_the_template_and_line(tmp_path):
    c, cache = chart(tmp_path), tmp_path / "cache"
    render(c, cache)
    with pytest.raises(KcompileError) as e:
        render(c, cache, boom=True)
    assert e.value.file.endswith("templates/sub/fail.yaml.j2") and e.value.line == 5 and "boom" in e.value.message


@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign", "empty"])
def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path, compiles, damage):
    c, cache = chart(tmp_path), tmp_path / "cache"
    good = [o.body for o in render(c, cache, data={"a": 1})]
    files = entries(cache)
    target = next(p for p in files if code_of(p).co_filename.endswith("cm.yaml.j2"))
    data = target.read_bytes()
    if damage == "flip":
        i = len(data) - 40
        target.write_bytes(data[:i] + bytes([data[i] ^ 1]) + data[i + 1:])
    elif damage == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":  # another template's entry planted under this key
        other = next(p for p in files if p != target)
        target.write_bytes(other.read_bytes())
    else:
        target.write_bytes(b"")
    compiles.clear()
    assert [o.body for o in render(c, cache, data={"a": 1}, other=1)] == good
    assert compiles == ["cm.yaml.j2"]  # recompiled, and the entry written again
    compiles.clear()
    render(c, cache, data={"a": 1}, other=2)
    assert compiles == []


def test_an_edited_template_is_compiled_again(tmp_path, compiles):
    c, cache = chart(tmp_path), tmp_path / "cache"
    render(c, cache)
    (c / "templates" / "cm.yaml.j2").write_text(TEMPLATES["cm.yaml.j2"].replace("ConfigMap", "Secret"))
    compiles.clear()
    assert render(c, cache)[0].kind == "Secret" and compiles == ["cm.yaml.j2"]


def test_without_a_cache_directory_nothing_is_kept(tmp_path, compiles):
    c = chart(tmp_path)
    before = sorted(p for p in tmp_path.rglob("*"))
    render_chart(c, release="r", namespace=None, layers=[])
    render_chart(c, release="r", namespace=None, layers=[])
    assert compiles.count("cm.yaml.j2") == 2 and sorted(p for p in tmp_path.rglob("*")) == before
