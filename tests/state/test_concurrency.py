"""Concurrent applies as separate processes (`python -m kcompile apply`): serialized per
environment with contiguous revision numbers, other environments never waiting, a killed
client freeing its lock and leaving the previous revision, a server stopped mid-apply."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _repo(tmp_path: Path, envs=("dev", "other")) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for env in envs:
        ov = root / "env" / env
        ov.mkdir(parents=True)
        (ov / "objects.yaml").write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"pw": f"pw-{env}"}}))
        (ov / "kcompile.yaml").write_text("resources: [objects.yaml]\n")
    return root


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KCOMPILE_")}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _apply(root: Path, state: str, env_name: str = "dev", *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kcompile", "apply", f"env/{env_name}", "--state", state,
                             "--no-validate", *args], cwd=root, env=_env(**extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _history(root: Path, state: str, env_name: str = "dev") -> list[int]:
    out = subprocess.run([sys.executable, "-m", "kcompile", "history", f"env/{env_name}", "--state", state,
                          "--format", "json"], cwd=root, env=_env(), capture_output=True, text=True, check=True)
    return [h["revision"] for h in json.loads(out.stdout)]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the paused process never got there"
        time.sleep(0.02)


def _finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return proc.returncode, err


def test_eight_processes_applying_to_one_environment_serialize(tmp_path, pg_url):
    root = _repo(tmp_path)
    procs = [_apply(root, pg_url, "dev", "-m", f"p{i}", "--lock-timeout", "300") for i in range(8)]
    results = [_finish(p) for p in procs]
    assert all(code == 0 for code, _ in results), "\n".join(err for code, err in results if code)
    assert _history(root, pg_url) == list(range(1, 9))
    assert sorted(int(err.split("recorded revision ")[1].split()[0]) for _, err in results) == list(range(1, 9))


@pytest.mark.parametrize("pause", ["KCOMPILE_TEST_PAUSE_LOCKED", "KCOMPILE_TEST_PAUSE_MID_APPLY"])
def test_two_environments_never_wait_for_each_other(tmp_path, pg_url, pause):
    """One environment's apply held under its lock, or inside its open transaction: an apply
    to another environment goes through at once."""
    root = _repo(tmp_path)
    marker = tmp_path / "paused"
    held = _apply(root, pg_url, "dev", **{pause: "20", pause + "_MARKER": str(marker)})
    try:
        _wait_for(marker, held)
        start = time.monotonic()
        code, err = _finish(_apply(root, pg_url, "other", "--lock-timeout", "0"))
        assert code == 0, err
        assert time.monotonic() - start < 10
        assert _history(root, pg_url, "other") == [1]
        # while the same environment does wait, and says so
        code, err = _finish(_apply(root, pg_url, "dev", "--lock-timeout", "0.5"))
        assert code == 1 and "another apply to environment 'env/dev' is in progress" in err
    finally:
        held.kill()
        held.communicate()


def test_sqlite_environment_lock_does_not_block_another_environment(tmp_path):
    root = _repo(tmp_path)
    state = str(tmp_path / "state.db")
    marker = tmp_path / "paused"
    held = _apply(root, state, "dev", KCOMPILE_TEST_PAUSE_LOCKED="20", KCOMPILE_TEST_PAUSE_LOCKED_MARKER=str(marker))
    try:
        _wait_for(marker, held)
        start = time.monotonic()
        code, err = _finish(_apply(root, state, "other", "--lock-timeout", "0"))
        assert code == 0, err
        assert time.monotonic() - start < 10
    finally:
        held.kill()
        held.communicate()


def test_a_client_killed_holding_the_lock_frees_it_and_leaves_the_previous_revision(tmp_path, pg_url):
    root = _repo(tmp_path)
    assert _finish(_apply(root, pg_url))[0] == 0
    marker = tmp_path / "paused"
    victim = _apply(root, pg_url, KCOMPILE_TEST_PAUSE_MID_APPLY="60", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker))
    _wait_for(marker, victim)
    waiting = _apply(root, pg_url, "dev", "--lock-timeout", "30")
    time.sleep(0.5)
    assert waiting.poll() is None  # waits for the lock the victim holds
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    code, err = _finish(waiting)
    assert code == 0 and "recorded revision 2" in err, err  # the killed apply left nothing behind
    assert _history(root, pg_url) == [1, 2]


def test_server_stopped_mid_apply_leaves_the_previous_revision(tmp_path):
    from tests.pgserver import PgServer

    server = PgServer().start()  # its own server: this test stops it
    try:
        url = server.new_database()
        root = _repo(tmp_path)
        assert _finish(_apply(root, url))[0] == 0
        marker = tmp_path / "paused"
        proc = _apply(root, url, KCOMPILE_TEST_PAUSE_MID_APPLY="5", KCOMPILE_TEST_PAUSE_MID_APPLY_MARKER=str(marker))
        _wait_for(marker, proc)
        server.stop("fast")
        code, err = _finish(proc)
        assert code == 1 and "connection to the server was lost mid-write; nothing was recorded" in err, err
        assert "previous revision is intact" in err
        code, err = _finish(_apply(root, url))
        assert code == 1 and "cannot connect" in err
        server.start()
        assert _history(root, url) == [1]
        code, err = _finish(_apply(root, url))
        assert code == 0 and "recorded revision 2" in err
    finally:
        server.destroy()
