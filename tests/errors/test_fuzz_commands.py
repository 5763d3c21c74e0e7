""""Never a traceback" as a property: generated input through every command.

Generated repositories (``tests/errors/fuzzinputs.py``: overlay files from the real field
names with values of every shape, mutated Kubernetes objects, patches with random paths,
Jinja templates from the real filters and tags, values and schemas, generator and env
files, raw bytes) and generated arguments go through ``kcompile.cli.main`` in this process
(``tests/errors/fuzzrun.py``), a few through the real entry point. Every run must exit 0
or 1 (2 only where ``--detailed-exitcode`` reports changes), never print a traceback or an
internal error, print its errors as ``kcompile: error: ...``, and a failed build with
``-o`` must write nothing.

Bounded for CI (derandomized, no example database): ``KCOMPILE_FUZZ_EXAMPLES=N`` runs N
examples per property instead, with a fresh random seed each run. Every crash found is
fixed where it happens and kept as a named case in ``test_never_a_traceback.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.errors.clirun import SECRET, kcompile, tree_digest, write_tree
from tests.errors.fuzzinputs import (NAMES, SCALARS, WEIRD_TEXT, any_value, byte_soup, jinja_template,
                                     manifests, overlay_text, trees, yaml_text)
from tests.errors.fuzzrun import Run, assert_no_traceback, run_cli

_LONG = int(os.environ.get("KCOMPILE_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int):
    """``examples`` in CI (derandomized: the same examples on every run), or
    ``$KCOMPILE_FUZZ_EXAMPLES`` random ones; ``KCOMPILE_FUZZ_NO_SHRINK=1`` reports a
    failing example as found (shrinking a whole repository can take minutes)."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if not os.environ.get("KCOMPILE_FUZZ_NO_SHRINK"):
        phases.append(Phase.shrink)
    return settings(max_examples=_LONG or examples, derandomize=not _LONG, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=True, phases=phases)


# Arguments as a shell passes them: any text but NUL (which no argv can hold).
ARG = st.one_of(NAMES, WEIRD_TEXT.filter(lambda s: "\0" not in s), st.text(max_size=8).filter(lambda s: "\0" not in s))
BUILD_FLAGS = st.lists(st.one_of(
    st.sampled_from([["--no-validate"], ["--strict"], ["--load-restrictor", "none"], ["--no-cache"],
                     ["--format", "json"], ["--kube-version", "1.29"], ["--kube-version", "x"],
                     ["--api-versions", "example.com/v1"], ["--api-versions", "a/b/c/d"]]),
    st.tuples(st.sampled_from(["r", "nope", "web"]), st.sampled_from(["x", "l[0]", "m.a", "a[70000]", "a.b[x]", ""]),
              ARG).map(lambda t: ["--set", f"{t[0]}.{t[1]}={t[2]}"]),
    ARG.map(lambda a: ["--set", a]),
), max_size=3).map(lambda groups: [a for g in groups for a in g])


@contextmanager
def repository(files: dict[str, str | bytes], git: bool = False):
    """A scratch repository holding ``files`` (a ``.git`` directory, or a real git
    repository with ``git``), with a cache directory and a TMPDIR of its own beside it."""
    with tempfile.TemporaryDirectory(prefix="kcompile-fuzz-") as d:
        base = Path(d)
        root = base / "repo"
        root.mkdir()
        (base / "tmp").mkdir()
        if git:
            _git(root, "init", "-q", "-b", "main")
        else:
            (root / ".git").mkdir()
        write_tree(root, files)
        yield root, {"KCOMPILE_CACHE_DIR": str(base / "cache"), "TMPDIR": str(base / "tmp"),
                     "KCOMPILE_STATE_KEY": "", "HOME": str(base)}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=f@example.com", "-c", "user.name=f",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


def _env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if v}


def check(run: Run, changes_exit: bool = False) -> Run:
    assert_no_traceback(run, changes_exit)
    assert SECRET not in run.err, run.err[-2000:]
    return run


# --- build, validate, plan: one generated repository through each -----------------------


@fuzz_settings(60)
@given(files=trees(overlays=2), flags=BUILD_FLAGS)
def test_build_validate_plan_on_generated_repositories(files, flags):
    with repository(files) as (root, env):
        env = _env(env)
        before = tree_digest(root)
        check(run_cli(["build", "ov", *flags], root, env))
        for target in ("out.yaml", "out/"):
            run = check(run_cli(["build", "ov", "-o", target, *flags], root, env))
            if run.code == 1:
                assert not (root / target).exists(), f"{target} written by a failed build\n{run.err}"
                assert tree_digest(root) == before, run.err
            shutil.rmtree(root / "out", ignore_errors=True)
            (root / "out.yaml").unlink(missing_ok=True)
        run = check(run_cli(["build", "ov", "ov1", "-j", "1", "-o", "all.yaml", *flags], root, env))
        if run.code == 1:
            assert not (root / "all.yaml").exists(), run.err
        (root / "all.yaml").unlink(missing_ok=True)
        assert tree_digest(root) == before, "a build changed the repository"
        check(run_cli(["validate", "ov", "ov1", "-j", "1", *[f for f in flags if f != "--no-validate"]], root, env))
        check(run_cli(["plan", "ov", "--detailed-exitcode", "--format", "json", *flags], root, env),
              changes_exit=True)


# --- apply, history, rollback, state ----------------------------------------------------

STATE_FILE = st.one_of(
    byte_soup(), yaml_text(), st.just(b""), st.just(b"SQLite format 3\0" + b"\0" * 84),
    st.builds(lambda v: json.dumps(v, default=str).encode(), any_value()),
    st.builds(lambda envs: json.dumps({"format": "kcompile-state-export", "version": 1, "environments": envs}),
              st.one_of(any_value(), st.lists(st.fixed_dictionaries({"name": ARG, "revisions": any_value(6)}),
                                              max_size=2))),
)


@fuzz_settings(25)
@given(first=manifests(), second=manifests(), overlay=overlay_text(), junk=STATE_FILE,
       revisions=st.lists(st.one_of(st.integers(-2, 4), ARG), min_size=1, max_size=3),
       fmt=st.sampled_from(["text", "json", "markdown", "yaml"]), message=ARG)
def test_state_commands_on_generated_objects_and_files(first, second, overlay, junk, revisions, fmt, message):
    files = {"ov/kcompile.yaml": "resources: [d.yaml]\n", "ov/d.yaml": first, "ov2/kcompile.yaml": overlay,
             "ov2/d.yaml": second, "junk.state": junk}
    with repository(files) as (root, env):
        env = _env(env)
        check(run_cli(["apply", "ov", "-m", message, "--no-validate"], root, env))
        (root / "ov/d.yaml").write_text(second)
        check(run_cli(["apply", "ov"], root, env))
        check(run_cli(["apply", "ov2", "--env", "two"], root, env))
        check(run_cli(["history", "ov", "--format", fmt if fmt in ("text", "json") else "text"], root, env))
        check(run_cli(["plan", "ov", "--format", fmt if fmt != "yaml" else "text", "--show-unchanged"], root, env))
        for rev in revisions:
            check(run_cli(["rollback", "ov", "--to-revision", str(rev), "--dry-run", "--format", fmt,
                           "--detailed-exitcode"], root, env), changes_exit=True)
        check(run_cli(["rollback", "ov", "--to-revision", str(revisions[0]), "-m", message], root, env))
        check(run_cli(["state", "list", "--format", "json"], root, env))
        for rev in revisions:
            check(run_cli(["state", "show", "ov", str(rev)], root, env))
        check(run_cli(["state", "export", "-o", "export.json"], root, env))
        check(run_cli(["state", "import", "junk.state", "--state", "other.db"], root, env))
        if (root / "export.json").exists():
            exported = (root / "export.json").read_bytes()
            (root / "mutated.json").write_bytes(exported.replace(b'"ov"', b'"ov3"', 1)
                                                .replace(b"1", str(revisions[-1]).encode(), 1))
            check(run_cli(["state", "import", "mutated.json", "--state", "third.db"], root, env))
        # the store itself replaced by a generated file
        for cmd in (["history", "ov"], ["plan", "ov"], ["apply", "ov"], ["state", "list"],
                    ["rollback", "ov", "--to-revision", "1", "--dry-run"]):
            check(run_cli([*cmd, "--state", "junk.state"], root, env))
        check(run_cli(["history", "ov"], root, {**env, "KCOMPILE_STATE": str(root / "junk.state")}))
        key = junk.decode("utf-8", "replace") if isinstance(junk, bytes) else junk
        check(run_cli(["apply", "ov"], root, {**env, "KCOMPILE_STATE_KEY": key.replace("\0", "")[:64] or "k"}))


# --- diff --base-ref in a real git repository -------------------------------------------


@fuzz_settings(20)
@given(base=trees(), work=trees(), ref=st.one_of(st.just("HEAD"), st.just("main"), ARG),
       fmt=st.sampled_from(["text", "json", "markdown"]), out=st.sampled_from([None, "report", "d.yaml", "ov"]),
       flags=BUILD_FLAGS)
def test_diff_base_ref_on_generated_revisions(base, work, ref, fmt, out, flags):
    with repository(base, git=True) as (root, env):
        env = _env(env)
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "base", "--allow-empty")
        for rel in list(base):
            (root / rel).unlink(missing_ok=True)
        write_tree(root, work)
        argv = ["diff", "ov", "--base-ref", ref, "--format", fmt, "--detailed-exitcode", "-j", "1", *flags]
        if out:
            argv += ["--output-dir", out if out != "d.yaml" else "ov/d.yaml"]
        run = check(run_cli(argv, root, env), changes_exit=True)
        assert os.listdir(env["TMPDIR"]) == [], "the export directory was left behind"
        assert "kcompile-ref-" not in run.err, run.err


# --- edit: every verb with generated arguments -----------------------------------------

TARGET_FLAGS = st.lists(st.tuples(st.sampled_from(["--group", "--version", "--kind", "--name", "--namespace",
                                                   "--label-selector", "--annotation-selector"]), ARG),
                        max_size=2).map(lambda ts: [a for t in ts for a in t])
SOURCE_FLAGS = st.lists(st.tuples(st.sampled_from(["--from-literal", "--from-file", "--from-env-file",
                                                   "--behavior", "--namespace"]),
                                  st.one_of(ARG, st.sampled_from(["k=v", "f.txt", "env.txt", "k=f.txt", "merge"]))),
                        max_size=3).map(lambda ts: [a for t in ts for a in t])
EDITS = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(["image", "replicas", "namespace", "nameprefix", "namesuffix", "label",
                                               "annotation", "value"]),
              st.lists(st.one_of(ARG, st.sampled_from(["nginx=nginx:2@sha256:" + "a" * 64, "web=3", "a:b", "r.x=1",
                                                       "*:1", "nginx@x", "r.l[3]=2", "web=" + "9" * 30])),
                       max_size=3)).map(lambda t: [t[0], t[1], *t[2]]),
    st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(["resource", "component", "base", "label",
                                                                   "annotation", "buildmetadata"]),
              st.lists(st.one_of(ARG, st.sampled_from(["d.yaml", "*.yaml", "../base", "m", "a:b",
                                                       "originAnnotations"])), max_size=3))
    .map(lambda t: [t[0], t[1], *t[2]]),
    st.tuples(st.sampled_from(["add", "remove"]), st.just("patch"),
              st.lists(st.tuples(st.sampled_from(["--path", "--patch"]),
                                 st.one_of(ARG, st.just("p.yaml"), yaml_text())), max_size=2), TARGET_FLAGS)
    .map(lambda t: [t[0], t[1], *[a for p in t[2] for a in p], *t[3]]),
    st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(["configmap", "secret"]), ARG, SOURCE_FLAGS)
    .map(lambda t: [t[0], t[1], t[2], *t[3]]),
    st.just(["fix"]),
)


@fuzz_settings(100)
@given(overlay=overlay_text(), edits=st.lists(EDITS, min_size=1, max_size=3))
def test_edit_verbs_with_generated_arguments(overlay, edits):
    files = {"ov/kcompile.yaml": overlay, "ov/d.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
             "ov/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
             "ov/f.txt": "x\n", "ov/env.txt": "A=1\n", "base/kustomization.yaml": "resources: []\n"}
    with repository(files) as (root, env):
        env = _env(env)
        for edit in edits:
            before = (root / "ov/kcompile.yaml").read_bytes()
            run = check(run_cli(["edit", "ov", *edit], root, env))
            if run.code == 1:
                assert (root / "ov/kcompile.yaml").read_bytes() == before, "a failed edit changed the overlay"
        check(run_cli(["build", "ov"], root, env))


# --- vendor: no remote, or remotes that cannot be fetched (loopback only) ----------------

REMOTES = st.sampled_from([
    "http://127.0.0.1:1/org/repo//sub?ref=v1", "https://127.0.0.1:1/o/r.git/sub?ref=x&timeout=1",
    "git::http://127.0.0.1:1/o/r", "ssh://git@127.0.0.1:1/o/r.git//s", "file:///nonexistent/repo//sub",
    "http://127.0.0.1:1/install.yaml", "file:///dev/null", "http://127.0.0.1:1/x?timeout=abc", "http://[::1",
    "https://127.0.0.1:1/o/r?ref=", "file://", "git::", "http://127.0.0.1:1/o/r?submodules=maybe",
])


@fuzz_settings(30)
@given(overlay=overlay_text(), remotes=st.lists(REMOTES, max_size=2), lock=st.one_of(st.none(), yaml_text()),
       update=st.booleans(), vendor_dir=st.one_of(st.none(), st.sampled_from(["v", "/tmp", "..", ".git/x", "ov"])))
def test_vendor_without_a_reachable_remote(overlay, remotes, lock, update, vendor_dir):
    files: dict[str, str | bytes] = {"ov/kcompile.yaml": overlay, "ov/d.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                     "metadata: {name: c}\n", "rem/kcompile.yaml": json.dumps({"resources": remotes
                                                                                              or ["d.yaml"]})}
    if lock is not None:
        files["ov/kcompile.lock"] = lock
    with repository(files) as (root, env):
        env = _env(env)
        argv = ["vendor", "ov", "rem"] + (["--update"] if update else []) + (["--vendor-dir", vendor_dir]
                                                                             if vendor_dir else [])
        check(run_cli(argv, root, env))
        check(run_cli(["build", "rem"], root, env))


# --- raw bytes over any one file, through any command -----------------------------------

VALID = {
    "ov/kcompile.yaml": "resources: [d.yaml, ../base]\ncharts: [{chart: ../c, release: r}]\npatches: [{path: p.yaml}]\n"
                        "configMapGenerator: [{name: g, envs: [env.txt], files: [f.txt]}]\n",
    "ov/d.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n",
    "ov/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: w}\n",
    "ov/env.txt": "A=1\n", "ov/f.txt": "x\n",
    "base/kustomization.yaml": "resources: [s.yaml]\n",
    "base/s.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
    "c/Chart.yaml": "name: c\nversion: 1.0.0\n", "c/values.yaml": "x: 1\n",
    "c/values.schema.json": '{"type": "object"}',
    "c/templates/cm.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ release.name }}'}\n"
                              "data: {x: '{{ values.x }}'}\n",
}


@fuzz_settings(100)
@given(path=st.sampled_from(sorted(VALID)), data=st.data(),
       command=st.sampled_from([["build", "ov"], ["build", "ov", "--format", "json"], ["validate", "ov"],
                                ["plan", "ov"], ["build", "ov", "-o", "out/"]]))
def test_raw_bytes_in_any_file(path, data, command):
    soup = data.draw(st.one_of(byte_soup(VALID[path].encode()),
                               jinja_template().map(str.encode) if path.endswith(".j2") else byte_soup()))
    with repository({**VALID, path: soup}) as (root, env):
        run = check(run_cli(command, root, _env(env)))
        if run.code == 1 and "-o" in command:
            assert not (root / "out").exists()


# --- init and schema --------------------------------------------------------------------


@fuzz_settings(20)
@given(target=st.one_of(st.none(), st.sampled_from([".", "new", "a/b/c", "existing", "file.txt", "file.txt/x",
                                                     "/proc/x", "-"]), ARG),
       existing=st.dictionaries(st.sampled_from(["existing/overlays/dev/kcompile.yaml", "existing/x",
                                                 "overlays/base/kcompile.yaml", "charts/web"]),
                                st.text(max_size=5), max_size=2))
def test_init_and_schema(target, existing):
    with repository({"file.txt": "x\n", **existing}) as (root, env):
        env = _env(env)
        argv = ["init"] + ([target] if target is not None else [])
        if target is not None and target.startswith("-"):
            argv = ["init", "--", target]
        check(run_cli(argv, root, env))
        run = check(run_cli(["schema"], root, env))
        assert run.code == 0 and json.loads(run.out)


# --- the real entry point, on a small sample --------------------------------------------


@settings(max_examples=6, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=trees(), command=st.sampled_from([["build", "ov"], ["validate", "ov"], ["plan", "ov"],
                                               ["build", "ov", "-o", "out.yaml"]]))
def test_real_entry_point_sample(files, command):
    with repository(files) as (root, env):
        proc = kcompile(command, root, env=_env(env), timeout=120)
        check(Run(command, proc.returncode, proc.stdout, proc.stderr))
        if proc.returncode == 1 and "-o" in command:
            assert not (root / "out.yaml").exists()
