"""The overlay file as a round-trip document: read, changed in place, written back.

ruamel.yaml's round-trip mode keeps comments, blank lines, key order, quoting and
flow/block style; the indentation is guessed from the file, CRLF line ends and a leading
``---`` are put back as found, so lines an edit does not touch stay byte-identical.
Nothing here knows what the fields mean (that is ``edit/verbs.py``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ..errors import KcompileError
from ..load.overlay import find_overlay_file


class OverlayDocument:
    """One overlay file open for editing."""

    def __init__(self, path: Path, text: str) -> None:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        self.path = path
        self.original = text
        self.crlf = "\r\n" in text
        body = text.replace("\r\n", "\n") if self.crlf else text
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 1 << 16  # never fold a long line the file has as one line
        mapping, offset = _guess_indents(body)
        yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
        yaml.explicit_start = body.lstrip().startswith("---")
        self.yaml = yaml
        from ..yaml.read import load_documents

        # kcompile's own reader first: control characters and nesting past 256 levels
        # are errors with their line there, as in a build
        load_documents(body, str(path))
        try:
            data = yaml.load(body) if body.strip() else None
        except YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise KcompileError(f"invalid YAML: {getattr(e, 'problem', None) or e}", str(path),
                                mark.line + 1 if mark is not None else None) from None
        except ValueError:  # Python turns at most 4300 digits into an int
            import re

            m = re.search(r"[0-9]{4300,}", body)
            raise KcompileError("a number of more than 4300 digits cannot be edited", str(path),
                                body.count("\n", 0, m.start()) + 1 if m else None) from None
        if data is None:
            from ruamel.yaml.comments import CommentedMap

            data = CommentedMap()
        if not hasattr(data, "keys"):
            raise KcompileError("an overlay file must be a YAML map", str(path), 1)
        self.data = data

    @classmethod
    def open(cls, overlay: str | os.PathLike[str]) -> "OverlayDocument":
        directory = Path(overlay)
        if not os.path.isdir(directory):  # False for a name too long, too
            raise KcompileError(f"overlay {overlay} is not a directory")
        path = find_overlay_file(directory)
        if path is None:
            raise KcompileError(f"no kcompile.yaml, kustomization.yaml, kustomization.yml or Kustomization in {overlay}")
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise KcompileError(f"cannot read: {e.strerror}", str(path)) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KcompileError("not UTF-8 text", str(path)) from None
        return cls(path, text)

    # -- field access, case-insensitive as Kustomize matches field names ------------------
    def key(self, name: str) -> str:
        """The spelling the file uses for field ``name`` (or ``name`` if absent)."""
        for k in self.data:
            if isinstance(k, str) and k.lower() == name.lower():
                return k
        return name

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(self.key(name), default)

    def list_field(self, name: str) -> Any:
        """The list under ``name``, created (at the end of the file) if absent."""
        from ruamel.yaml.comments import CommentedSeq

        key = self.key(name)
        value = self.data.get(key)
        if value is None:
            value = CommentedSeq()
            self.data[key] = value
        elif not isinstance(value, list):
            raise KcompileError(f"'{key}' must be a list", str(self.path))
        return value

    def map_field(self, name: str) -> Any:
        from ruamel.yaml.comments import CommentedMap

        key = self.key(name)
        value = self.data.get(key)
        if value is None:
            value = CommentedMap()
            self.data[key] = value
        elif not isinstance(value, dict):
            raise KcompileError(f"'{key}' must be a map", str(self.path))
        return value

    def set(self, name: str, value: Any) -> None:
        self.data[self.key(name)] = value

    def remove(self, name: str) -> None:
        self.data.pop(self.key(name), None)

    # -- writing --------------------------------------------------------------------------
    def render(self) -> str:
        buf = io.StringIO()
        if len(self.data) == 0:
            return ""
        self.yaml.dump(self.data, buf)
        text = buf.getvalue()
        if not self.original.endswith("\n") and self.original and text.endswith("\n") \
                and self.original.rstrip("\n") == self.original:
            # keep a file that had no final newline without one, when its last line is untouched
            if self.original.splitlines()[-1:] == text.splitlines()[-1:]:
                text = text[:-1]
        return text.replace("\n", "\r\n") if self.crlf else text

    def save(self) -> bool:
        """Write the file back if it changed (atomically, keeping its mode); True if written."""
        text = self.render()
        if text == self.original:
            return False
        import tempfile

        mode = self.path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise KcompileError(f"cannot write: {e.strerror}", str(self.path)) from None
        return True


def _guess_indents(text: str) -> tuple[int, int]:
    """(mapping indent, offset of '-' under its key) the file uses; 2 and 0 if it shows
    neither (Kustomize's own style)."""
    mapping = offset = None
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, line in zip(lines, lines[1:]):
        head = prev.split(" #")[0].rstrip()
        if not head.endswith(":") or head.lstrip().startswith("- "):
            continue
        parent = len(prev) - len(prev.lstrip())
        child = len(line) - len(line.lstrip())
        if line.lstrip().startswith("- ") or line.strip() == "-":
            if offset is None and child >= parent:
                offset = child - parent
        elif mapping is None and child > parent:
            mapping = child - parent
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset or 0
