"""A throwaway PostgreSQL server for the tests and benchmarks: a temporary data directory,
a loopback port and a Unix socket, fsync off (nothing in it outlives the run).

The server binaries are PostgreSQL's (``initdb``, ``pg_ctl``); ``$KCOMPILE_PG_BIN`` names
their directory, else the first of the usual places that has them. ``initdb`` refuses to
run as root, so as root the server runs as the ``postgres`` user (created when missing).
A server that cannot start raises: tests against PostgreSQL never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SEARCHED = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin",
            "/usr/local/pgsql/bin", "/usr/pgsql-15/bin"]
SERVICE_USER = "postgres"


def server_bin() -> Path:
    given = os.environ.get("KCOMPILE_PG_BIN")
    for d in ([given] if given else []) + SEARCHED:
        if d and (Path(d) / "pg_ctl").is_file() and (Path(d) / "initdb").is_file():
            return Path(d)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15 "
                       "or set KCOMPILE_PG_BIN to their directory (tests against PostgreSQL never skip)")


def _service_user() -> str | None:
    """The user to run the server as: None when not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                       check=True, capture_output=True)
    return SERVICE_USER


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One server; ``url(db)`` is a ``postgresql://`` URL on the loopback port."""

    def __init__(self) -> None:
        self.bin = server_bin()
        self.user = _service_user()
        self.dir = Path(tempfile.mkdtemp(prefix="kcompile-pg-"))
        self.data = self.dir / "data"
        self.port = 0
        self._dbs = 0
        if self.user:
            import pwd

            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {"user": self.user} if self.user else {}
        return subprocess.run(list(cmd), capture_output=True, text=True, check=check, cwd=self.dir,
                              env={**os.environ, "LC_ALL": "C", "HOME": str(self.dir)}, **kwargs)

    def start(self) -> "PgServer":
        if not self.data.exists():
            r = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--no-sync", check=False)
            if r.returncode != 0:
                raise RuntimeError(f"initdb failed: {r.stderr.strip()}")
        for _ in range(5):
            self.port = self.port or _free_port()
            opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
            r = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                          "-w", "-t", "60", "start", check=False)
            if r.returncode == 0:
                self._watch()
                return self
            self.port = 0  # the port was taken meanwhile: another
            time.sleep(0.2)
        log = (self.dir / "log").read_text(errors="replace") if (self.dir / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {r.stderr.strip()}\n{log[-2000:]}")

    def _watch(self) -> None:
        """A watchdog process that stops the server and removes its directory if this
        process dies without doing so (a killed test run must not leave servers behind)."""
        if getattr(self, "_watchdog", None) is not None and self._watchdog.poll() is None:
            return
        import sys

        script = (
            "import os, shutil, subprocess, sys, time\n"
            "parent, pg_ctl, data, home, user = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]\n"
            "while True:\n"
            "    try:\n"
            "        os.kill(parent, 0)\n"
            "    except ProcessLookupError:\n"
            "        break\n"
            "    time.sleep(1)\n"
            "kw = {'user': user} if user else {}\n"
            "subprocess.run([pg_ctl, '-D', data, '-m', 'immediate', '-w', 'stop'], capture_output=True, **kw)\n"
            "shutil.rmtree(home, ignore_errors=True)\n")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", script, str(os.getpid()), str(self.bin / "pg_ctl"), str(self.data), str(self.dir),
             self.user or ""], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.kill()
            watchdog.wait()

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        self._dbs += 1
        name = f"t{os.getpid()}_{self._dbs}"
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
