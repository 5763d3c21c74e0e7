"""Several overlays in one command: parallel builds, DIR/<overlay>/ output, --check."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcompile.cli import main
from kcompile.output.directory import STAMP

from tests.objects import WEB_DEPLOYMENT

BASE = WEB_DEPLOYMENT + """\
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "base").mkdir()
    (tmp_path / "base/app.yaml").write_text(BASE)
    (tmp_path / "base/kustomization.yaml").write_text("resources: [app.yaml]\n")
    for i in range(20):
        d = tmp_path / "overlays" / f"env{i:02d}"
        d.mkdir(parents=True)
        (d / "kcompile.yaml").write_text(
            f"resources: [../../base]\nnamespace: ns{i}\nnamePrefix: e{i}-\n"
            f"images: [{{name: nginx, newTag: '1.{i}'}}]\n"
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def overlays(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / "overlays").iterdir())


def test_parallel_build_gives_the_same_bytes_as_single_builds(repo, capsys):
    singles = {}
    for ov in overlays(repo):
        assert main(["build", ov, "-o", f"single/{ov}/", "--no-validate"]) == 0
        singles[ov] = {p.relative_to(repo / "single" / ov): p.read_bytes()
                       for p in (repo / "single" / ov).rglob("*") if p.is_file() and p.name != STAMP}
    assert main(["build", *overlays(repo), "-o", "multi/", "-j", "2", "--no-validate"]) == 0
    for ov, files in singles.items():
        got = {p.relative_to(repo / "multi" / ov): p.read_bytes()
               for p in (repo / "multi" / ov).rglob("*") if p.is_file() and p.name != STAMP}
        assert got == files
        assert len(files) == 2


def test_stdout_holds_every_overlay_in_argument_order(repo, capsys):
    obs = overlays(repo)[:3]
    assert main(["build", *obs, "--no-validate"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"# overlay: {o}\n") for o in obs]
    assert positions == sorted(positions)
    assert out.count("kind: Deployment") == 3


def test_one_failing_overlay_fails_the_command_and_writes_nothing(repo, capsys):
    (repo / "overlays/env05/kcompile.yaml").write_text("resources: [../../missing]\n")
    code = main(["build", *overlays(repo), "-o", "out/", "--no-validate"])
    err = capsys.readouterr().err
    assert code == 1
    assert "kcompile: error:" in err and "missing" in err
    assert "1 of 20 overlays failed" in err
    assert not (repo / "out").exists()


def test_check_passes_on_fresh_render_and_fails_after_an_edit(repo, capsys):
    obs = overlays(repo)[:4]
    assert main(["build", *obs, "-o", "rendered/", "--no-validate"]) == 0
    assert main(["build", *obs, "-o", "rendered/", "--check", "--no-validate"]) == 0
    (repo / "overlays/env02/kcompile.yaml").write_text(
        "resources: [../../base]\nnamespace: ns2\nnamePrefix: e2-\nimages: [{name: nginx, newTag: '9.9'}]\n"
    )
    capsys.readouterr()
    assert main(["build", *obs, "-o", "rendered/", "--check", "--no-validate"]) == 1
    err = capsys.readouterr().err
    assert "changed:" in err and "env02" in err and "out of date" in err
    # --check never writes
    assert "9.9" not in (repo / "rendered/overlays/env02/ns2/deployment-e2-web.yaml").read_text()


def test_check_reports_stale_files(repo, capsys):
    ov = overlays(repo)[0]
    assert main(["build", ov, "-o", "r/", "--no-validate"]) == 0
    (repo / "r/ns0/extra.yaml").write_text("x: 1\n")
    assert main(["build", ov, "-o", "r/", "--check", "--no-validate"]) == 1
    assert "stale:" in capsys.readouterr().err


def test_unchanged_output_directory_is_not_rewritten_but_edits_are_repaired(repo, capsys):
    ov = overlays(repo)[0]
    assert main(["build", ov, "-o", "r/", "--no-validate"]) == 0
    f = repo / "r/ns0/deployment-e0-web.yaml"
    before = f.stat().st_mtime_ns
    assert main(["build", ov, "-o", "r/", "--no-validate"]) == 0
    assert f.stat().st_mtime_ns == before  # left alone
    f.write_text("edited by hand\n")
    assert main(["build", ov, "-o", "r/", "--no-validate"]) == 0
    assert "kind: Deployment" in f.read_text()  # a hand edit is overwritten


# -- the fork pool and cached output -------------------------------------------------------


def _stdout_of(args: list[str], capfd) -> bytes:
    capfd.readouterr()
    assert main(args) == 0
    return capfd.readouterr().out.encode()


def test_stdout_is_the_same_bytes_built_cached_or_mixed(repo, capfd):
    """Through the file descriptor (cached outputs are copied by sendfile): a cold run,
    an all-cached run and a run with one overlay changed print what single builds print."""
    obs = overlays(repo)[:6]
    cmd = ["build", *obs, "--no-validate", "-j", "2"]
    cold = _stdout_of(cmd, capfd)
    assert _stdout_of(cmd, capfd) == cold
    (repo / "overlays/env03/kcompile.yaml").write_text(
        "resources: [../../base]\nnamespace: ns3\nnamePrefix: e3-\nimages: [{name: nginx, newTag: '7.7'}]\n")
    mixed = _stdout_of(cmd, capfd)
    singles = [_stdout_of(["build", ov, "--no-validate", "--no-cache"], capfd) for ov in obs]
    assert mixed == b"---\n".join(f"# overlay: {ov}\n".encode() + s for ov, s in zip(obs, singles))
    assert b"nginx:7.7" in mixed and b"nginx:1.3" not in mixed and cold != mixed


def test_cache_hits_keep_their_output_in_the_cache_until_written(repo):
    from kcompile.multi.jobs import build_many
    from kcompile.options import BuildOptions

    obs = overlays(repo)[:3]
    first = build_many(obs, BuildOptions(), validate=False, jobs=2)
    assert all(o.ok and o.cached is None for o in first)
    second = build_many(obs, BuildOptions(), validate=False, jobs=2)
    assert all(o.cached is not None for o in second)  # answered by the parent, no build
    assert [o.text for o in second] == [o.text for o in first]


def test_a_worker_that_dies_fails_only_its_overlay(repo, monkeypatch):
    import os
    import signal

    from kcompile.multi import jobs
    from kcompile.options import BuildOptions

    real = jobs._Job.build

    def dying(self, overlay):
        if overlay.endswith("env02"):
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
        return real(self, overlay)

    monkeypatch.setattr(jobs._Job, "build", dying)
    obs = overlays(repo)[:6]
    outcomes = jobs.build_many(obs, BuildOptions(use_cache=False), validate=False, jobs=2)
    assert [o.ok for o in outcomes] == [True, True, False, True, True, True]
    assert "env02: the worker process building it ended unexpectedly" in outcomes[2].error
    assert all("kind: Deployment" in o.text for o in outcomes if o.ok)


def test_every_worker_dying_still_reports_every_overlay(repo, monkeypatch):
    import os

    from kcompile.multi import jobs
    from kcompile.options import BuildOptions

    monkeypatch.setattr(jobs._Job, "build", lambda self, overlay: os._exit(3))
    obs = overlays(repo)[:4]
    outcomes = jobs.build_many(obs, BuildOptions(use_cache=False), validate=False, jobs=2)
    assert all(not o.ok and "ended unexpectedly" in o.error for o in outcomes)


def test_a_bug_in_a_worker_is_one_line_and_its_traceback_only_with_debug(repo, monkeypatch):
    from kcompile import errors
    from kcompile.multi import jobs
    from kcompile.options import BuildOptions

    def broken(self, overlay):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(jobs._Job, "build", broken)
    monkeypatch.setattr(errors, "DEBUG", False)
    outcomes = jobs.build_many(overlays(repo)[:2], BuildOptions(use_cache=False), validate=False, jobs=2)
    # the exception's text is not shown: it may hold a value from the input
    assert all("internal error (ZeroDivisionError)" in o.error and "boom" not in o.error for o in outcomes)
    assert all("Traceback" not in o.messages + o.error for o in outcomes)
    monkeypatch.setattr(errors, "DEBUG", True)
    outcomes = jobs.build_many(overlays(repo)[:2], BuildOptions(use_cache=False), validate=False, jobs=2)
    assert all("Traceback" in o.messages and "boom" in o.messages for o in outcomes)


def test_one_job_builds_in_this_process(repo, monkeypatch):
    import os

    from kcompile.multi import jobs
    from kcompile.options import BuildOptions

    pids = []
    real = jobs._Job.build
    monkeypatch.setattr(jobs._Job, "build", lambda self, overlay: pids.append(os.getpid()) or real(self, overlay))
    outcomes = jobs.build_many(overlays(repo)[:3], BuildOptions(use_cache=False), validate=False, jobs=1)
    assert all(o.ok for o in outcomes) and pids == [os.getpid()] * 3


def test_cached_output_is_written_where_sendfile_cannot_write(repo, tmp_path):
    import os

    from kcompile.multi.jobs import build_many
    from kcompile.multi.outcome import write_outputs
    from kcompile.options import BuildOptions

    obs = overlays(repo)[:2]
    build_many(obs, BuildOptions(), validate=False, jobs=1)
    hits = build_many(obs, BuildOptions(), validate=False, jobs=1)
    assert all(o.cached is not None for o in hits)
    target = tmp_path / "appended.yaml"
    target.write_text("# before\n")
    with open(target, "a") as f:  # O_APPEND: sendfile refuses it
        write_outputs(["# a\n", hits[0], "# b\n", hits[1]], f)
    expected = "# before\n# a\n" + hits[0].text + "# b\n" + hits[1].text
    assert target.read_text() == expected
    assert os.path.getsize(target) == len(expected.encode())


def test_cached_overlays_directories_are_checked_without_their_files(repo, capsys):
    """A cached overlay's output directory is compared through its stamp (content digest,
    sizes and mtimes); a hand edit is still caught by --check and repaired by a write."""
    obs = overlays(repo)[:3]
    assert main(["build", *obs, "-o", "r/", "--no-validate"]) == 0
    assert main(["build", *obs, "-o", "r/", "--check", "--no-validate"]) == 0  # all cached, all stamps hold
    f = repo / "r/overlays/env01/ns1/deployment-e1-web.yaml"
    f.write_text(f.read_text().replace("nginx:1.1", "nginx:6.6"))
    capsys.readouterr()
    assert main(["build", *obs, "-o", "r/", "--check", "--no-validate"]) == 1
    assert "changed: r/overlays/env01/ns1/deployment-e1-web.yaml" in capsys.readouterr().err
    untouched = repo / "r/overlays/env00/ns0/deployment-e0-web.yaml"
    before = untouched.stat().st_mtime_ns
    assert main(["build", *obs, "-o", "r/", "--no-validate"]) == 0
    assert "nginx:1.1" in f.read_text() and untouched.stat().st_mtime_ns == before
    (repo / "r/overlays/env02/ns2/extra.yaml").write_text("x: 1\n")
    capsys.readouterr()
    assert main(["build", *obs, "-o", "r/", "--check", "--no-validate"]) == 1
    assert "stale: r/overlays/env02/ns2/extra.yaml" in capsys.readouterr().err


# -- progress ----------------------------------------------------------------------------


class _Terminal:
    def __init__(self) -> None:
        self.written: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.written.append(text)

    def flush(self) -> None:
        pass


def test_progress_bar_draws_on_a_terminal_and_clears_at_the_end(monkeypatch):
    from kcompile.multi.progress import ProgressBar

    monkeypatch.delenv("CI", raising=False)
    term = _Terminal()
    bar = ProgressBar(term)
    bar(1, 4, "overlays/dev")
    bar(4, 4, "overlays/prod")
    assert term.written[0].startswith("\r[######------------------] 1/4 overlays/dev")
    assert "4/4" in term.written[1] and term.written[-1].strip() == ""  # the line is wiped


def test_progress_bar_is_silent_in_ci_logs_and_pipes(monkeypatch):
    import io

    from kcompile.multi.progress import ProgressBar

    monkeypatch.setenv("CI", "true")
    term = _Terminal()
    ProgressBar(term)(1, 2, "x")
    assert term.written == []
    monkeypatch.delenv("CI")
    pipe = io.StringIO()
    ProgressBar(pipe)(1, 2, "x")
    assert pipe.getvalue() == ""


def test_progress_counts_every_overlay_built_or_cached(repo):
    from kcompile.multi.jobs import build_many
    from kcompile.options import BuildOptions

    obs = overlays(repo)[:5]
    for _ in range(2):  # built, then cached
        seen: list[tuple[int, int]] = []
        build_many(obs, BuildOptions(), validate=False, jobs=2, progress=lambda d, t, label: seen.append((d, t)))
        assert seen == [(i, 5) for i in range(1, 6)]


def test_without_fork_a_spawned_pool_builds_the_same(repo, monkeypatch):
    """macOS and Windows have no safe fork: the process pool there must give the same output."""
    import sys

    from kcompile.multi import jobs
    from kcompile.options import BuildOptions

    obs = overlays(repo)[:3]
    forked = jobs.build_many(obs, BuildOptions(use_cache=False), validate=False, jobs=2)
    monkeypatch.setattr(sys, "platform", "darwin")
    spawned = jobs.build_many(obs, BuildOptions(use_cache=False), validate=False, jobs=2)
    assert [o.text for o in spawned] == [o.text for o in forked] and all(o.ok for o in spawned)


def test_a_failure_while_checking_the_cache_stops_the_workers(repo, monkeypatch):
    import os

    import pytest

    from kcompile.multi import jobs, pool
    from kcompile.options import BuildOptions

    pids: list[int] = []
    real_start = pool._ForkPool.start

    def start(self):
        fd = real_start(self)
        pids.append(self.workers[fd])
        return fd

    monkeypatch.setattr(pool._ForkPool, "start", start)
    calls = []

    def cached(self, overlay):
        calls.append(overlay)
        if len(calls) == 3:
            raise RuntimeError("disk gone")
        return None

    monkeypatch.setattr(jobs._Job, "cached", cached)
    with pytest.raises(RuntimeError):
        jobs.build_many(overlays(repo)[:4], BuildOptions(), validate=False, jobs=2)
    assert len(pids) == 2
    for pid in pids:  # killed and reaped: no such process any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
