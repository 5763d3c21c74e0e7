"""What the file-system boundary tests assert around every command: the whole tree
(``.git`` included) is unchanged except for the stated outputs, and no network
connection was attempted (a loopback listener that must never be contacted)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from kcompile.cli import main


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (not following symlinks): type, mode, and content or
    link target. Comparing two snapshots shows any file created, removed or changed."""
    from hashlib import sha256

    found: dict[str, tuple] = {}
    for dirpath, dirnames, names in os.walk(root):
        for name in dirnames + names:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    found[rel] = ("file", stat.S_IMODE(st.st_mode), sha256(f.read()).hexdigest())
            else:
                found[rel] = ("other" if not stat.S_ISDIR(st.st_mode) else "dir", stat.S_IMODE(st.st_mode))
    return found


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> dict[str, str]:
    """{relative path: 'created' | 'removed' | 'changed'}."""
    out = {p: "removed" for p in before.keys() - after.keys()}
    out.update({p: "created" for p in after.keys() - before.keys()})
    out.update({p: "changed" for p in before.keys() & after.keys() if before[p] != after[p]})
    return out


class Listener:
    """A TCP socket listening on loopback; ``contacted()`` says whether anything
    connected to it. Tests put its URL where a build might fetch from."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def contacted(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True

    def close(self) -> None:
        self.sock.close()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``kcompile ARGV`` in this process: (exit status, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
