"""``files`` in Jinja chart templates: Helm's ``.Files`` over a chart's other files.

Which files, as Helm loads a chart directory: every regular file of the chart except
``Chart.yaml`` (``chart.yaml``), ``Chart.lock``, ``values.yaml``, ``values.schema.json``,
``requirements.yaml``, ``requirements.lock``, anything under ``templates/`` and the
subcharts under ``charts/`` (``charts/**.prov`` files stay), and except what the
``.helmignore`` of the chart directory that was loaded ignores (a subchart under
``charts/`` is judged by its parent's rules, at its path there). Contents are read
through the chart's root (:class:`kcompile.load.files.Root`: inside the chart, symlinks
resolved, regular files only), a UTF-8 byte order mark dropped as Helm drops it, and
only when a template asks; every result counts against the render budget like any value.

``files.get(name)`` (``""`` for a file that is not there, as Helm gives),
``files.get_bytes(name)``, ``files.lines(name)``, ``files.glob(pattern)`` (a ``files``
of the matching names), ``.as_config()`` and ``.as_secrets()`` (a map of base names to
text or base64, as YAML), iteration over the names and ``.items()`` (name, text).
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import KcompileError
from .globs import Pattern, PatternError

NOT_FILES = frozenset(("Chart.yaml", "chart.yaml", "Chart.lock", "values.yaml", "values.schema.json",
                       "requirements.yaml", "requirements.lock"))
BOM = b"\xef\xbb\xbf"


class IgnoreRules:
    """A ``.helmignore``, with Helm's semantics (``pkg/ignore``): blank lines and ``#``
    comments skipped; ``**`` is an error; a trailing ``/`` matches directories only; a
    leading ``/`` or any ``/`` matches the whole path, otherwise the base name; and a
    ``!rule`` — as Helm implements it — ignores every path that does *not* match it."""

    def __init__(self, text: str = "", source: str = ".helmignore") -> None:
        self.rules: list[tuple[bool, bool, str, Pattern]] = []  # (negate, dirs only, scope, pattern)
        for n, line in enumerate(text.splitlines(), 1):
            rule = line.strip()
            if not rule or rule.startswith("#"):
                continue
            if "**" in rule:
                raise KcompileError(f"double-star (**) syntax is not supported: {rule!r}", source, n)
            negate = rule.startswith("!")
            rule = rule[1:] if negate else rule
            dirs_only = rule.endswith("/")
            rule = rule.rstrip("/") if dirs_only else rule
            scope = "path" if "/" in rule else "base"
            try:
                pattern = Pattern(rule.lstrip("/"), glob=False)
            except PatternError as e:
                raise KcompileError(f"syntax error in pattern: {e}", source, n) from None
            self.rules.append((negate, dirs_only, scope, pattern))

    def ignores(self, path: str, is_dir: bool) -> bool:
        for negate, dirs_only, scope, pattern in self.rules:
            name = path.rsplit("/", 1)[-1] if scope == "base" else path
            if negate:
                if dirs_only and not is_dir:
                    return True
                if not pattern.match(name):
                    return True
                continue
            if dirs_only and not is_dir:
                continue
            if pattern.match(name):
                return True
        return False

    def ignores_file(self, path: str, is_dir: bool = False) -> bool:
        """Whether ``path`` or a directory above it is ignored (Helm skips ignored
        directories whole)."""
        parts = path.split("/")
        return any(self.ignores("/".join(parts[:i]), True) for i in range(1, len(parts))) \
            or self.ignores(path, is_dir)


def load_ignore_rules(root: Any) -> IgnoreRules:
    """The ``.helmignore`` of a chart directory (none: nothing ignored)."""
    if not root.is_file(".helmignore"):
        return IgnoreRules()
    return IgnoreRules(root.read_text(".helmignore"), str(root.directory / ".helmignore"))


def file_names(all_files: list[str], ignore: IgnoreRules, prefix: str = "") -> list[str]:
    """The names ``.Files`` holds among a chart's files (relative to it, sorted);
    ``prefix`` is the chart's path below the directory whose ``.helmignore`` applies."""
    out = []
    for name in all_files:
        top = name.split("/", 1)[0]
        if name in NOT_FILES or top == "templates" or (top == "charts" and not name.endswith(".prov")):
            continue
        if not ignore.ignores_file(prefix + name):
            out.append(name)
    return out


class FileText(str):
    """The text of a file that is not UTF-8, with its bytes (``raw``) for ``b64enc``,
    ``sha256`` and ``as_secrets``, as Go's strings keep them."""

    raw: bytes

    def __new__(cls, data: bytes) -> "FileText":
        self = super().__new__(cls, data.decode("utf-8", "replace"))
        self.raw = data
        return self


class ChartFiles:
    """Helm's ``.Files`` (see the module docstring); a read-only view, safe in the sandbox."""

    def __init__(self, root: Any, names: list[str], cache: dict[str, bytes] | None = None) -> None:
        self._root = root
        self._names = names
        self._known = frozenset(names)
        self._cache = cache if cache is not None else {}

    def _data(self, name: Any) -> bytes | None:
        if not isinstance(name, str) or name not in self._known:
            return None
        data = self._cache.get(name)
        if data is None:
            data = self._root.read_bytes(name)
            data = self._cache[name] = data[len(BOM):] if data.startswith(BOM) else data
        return data

    def get_bytes(self, name: str) -> bytes:
        """The file's content (``b""`` when there is none such)."""
        return self._data(name) or b""

    def get(self, name: str) -> str:
        """The file's text (``""`` when there is none such). A file that is not UTF-8
        (``crds.bz2``) reads with U+FFFD for what is not text, but remembers its bytes:
        ``files.get("x.bz2") | b64enc`` (Helm charts do it) encodes the file as it is."""
        data = self.get_bytes(name)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return FileText(data)

    def lines(self, name: str) -> list[str]:
        """The file's lines, without their newlines (``[]`` for an empty or absent file)."""
        text = self.get(name)
        if not text:
            return []
        return text.removesuffix("\n").split("\n")

    def glob(self, pattern: str) -> "ChartFiles":
        """The files whose names match ``pattern`` (``*`` within a directory, ``**``
        across, ``?``, ``[a-z]``, ``[!a]``, ``{a,b}``)."""
        try:
            compiled = Pattern(str(pattern), glob=True)
        except PatternError as e:
            from .filters import ChartFail

            raise ChartFail(f"files.glob: {e}") from None
        return ChartFiles(self._root, [n for n in self._names if compiled.match(n)], self._cache)

    def as_config(self) -> str:
        """The files as a ConfigMap's ``data``: base name -> text, as YAML (``{}`` for none)."""
        return self._as_map(lambda n: self.get(n))

    def as_secrets(self) -> str:
        """The files as a Secret's ``data``: base name -> base64 of the content, as YAML."""
        import base64

        return self._as_map(lambda n: base64.b64encode(self.get_bytes(n)).decode("ascii"))

    def _as_map(self, content: Any) -> str:
        from .filters import to_yaml

        # Two files of one base name: the later name wins (Helm's choice depends on Go's
        # map order, so it is not reproducible there).
        return to_yaml({n.rsplit("/", 1)[-1]: content(n) for n in self._names})

    def items(self) -> list[tuple[str, str]]:
        """(name, text) of every file, in name order."""
        return [(n, self.get(n)) for n in self._names]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __repr__(self) -> str:
        return f"<files {', '.join(self._names)}>"
