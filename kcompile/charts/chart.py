"""A chart on disk: its ``Chart.yaml``, its own values, the templates it outputs, and its
dependencies (subcharts under ``charts/``), read once per render.

Templates: every ``*.j2`` under ``templates/`` is output, subdirectories included, except
helpers (names starting with ``_``) and ``NOTES.txt``/``NOTES.txt.j2``; hidden files
(``.gitkeep``) are ignored. Any other file there is an error naming it: a leftover Helm
``deployment.yaml`` would otherwise be skipped in silence.

Dependencies, as Helm loads them: every chart directory under ``charts/`` is a
dependency; ``dependencies:`` in ``Chart.yaml`` names them (a listed one that is missing
is an error) and adds ``alias``, ``condition`` and ``tags``. A listed one whose
``repository`` is ``file://PATH`` and that is not in ``charts/`` is the chart directory
at PATH (relative to the chart: what ``helm dependency build`` would copy there), which
may lie anywhere, as a base may; its own files stay confined to it, and its version must
satisfy the entry's ``version`` (as ``helm dependency build`` checks). A copy under
``charts/`` wins, as ``helm template`` renders what ``charts/`` holds. A ``type:
library`` chart outputs nothing; its helpers are imported as ``"NAME/_helpers.j2"``.

``.helmignore`` of the chart directory that was loaded applies as in Helm: ignored
subcharts are no dependencies, ignored templates do not render, ignored files are not in
``files`` (:mod:`.chartfiles`); a subchart under ``charts/`` is judged by its parent's
rules, a ``file://`` dependency by its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import KcompileError

META_FILES = ("Chart.yaml", "chart.yaml")
NOT_OUTPUT = ("NOTES.txt", "NOTES.txt.j2")
# Chart.yaml fields templates see under ``chart`` even when the file leaves them out,
# with Helm's zero values (so ``chart.icon`` is "" rather than an undefined error).
CHART_FIELDS: dict[str, Any] = {
    "apiVersion": "", "name": "", "version": "", "kubeVersion": "", "description": "", "type": "",
    "keywords": [], "home": "", "sources": [], "dependencies": [], "maintainers": [], "icon": "",
    "appVersion": "", "deprecated": False, "annotations": {},
}


def chart_root(chart_dir: Path, root: Any = None) -> Any:
    """How a chart's files are read: ``root`` (the build's :class:`kcompile.load.files.Root`)
    or one of its own — confined to the chart directory either way."""
    if root is not None:
        return root
    from ..load.files import Root

    return Root.standalone(chart_dir, "chart directory")


def load_chart_meta(chart_dir: Path, parse: Any = None, root: Any = None) -> dict[str, Any]:
    """Chart.yaml (or chart.yaml) with every field of :data:`CHART_FIELDS`."""
    from ..yaml.read import load_documents
    from ..yaml.scalars import as_text

    parse = parse or load_documents
    root = chart_root(chart_dir, root)
    for name in META_FILES:
        path = root.directory / name
        if root.is_file(name):
            docs = parse(root.read_text(name), str(path), keep_text=True)
            meta = docs[0].data if docs else {}
            if not isinstance(meta, dict) or not meta.get("name"):
                raise KcompileError("Chart.yaml needs a 'name'", path, 1)
            out = dict(CHART_FIELDS)
            out.update({k: (as_text(v) if k in ("version", "appVersion", "name", "kubeVersion") else v)
                        for k, v in meta.items()})
            return out
    raise KcompileError(f"{chart_dir} is not a chart: no Chart.yaml")


def meta_file(chart_dir: Path) -> Path:
    for name in META_FILES:
        if (chart_dir / name).is_file():
            return chart_dir / name
    return chart_dir / META_FILES[0]


def load_own_values(chart_dir: Path, parse: Any, root: Any = None) -> tuple[str, dict] | None:
    root = chart_root(chart_dir, root)
    path = root.directory / "values.yaml"
    if not root.is_file("values.yaml"):
        return None
    docs = parse(root.read_text("values.yaml"), str(path))
    data = docs[0].data if docs else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KcompileError("values.yaml must be a map", path, docs[0].line if docs else 1)
    return (str(path), data)


def output_templates(chart_dir: Path, root: Any = None, ignored: Any = None) -> list[str]:
    """The templates a chart outputs, as names relative to ``templates/``, in path order
    (``ignored(rel)``: whether the chart's ``.helmignore`` leaves a file out)."""
    root = chart_root(chart_dir, root)
    templates = root.directory / "templates"
    out = []
    for listed in root.walk("templates"):
        if ignored is not None and ignored(listed):
            continue
        path = root.directory / listed
        rel = path.relative_to(templates)
        if any(part.startswith(".") for part in rel.parts):
            continue
        name = path.name
        if name in NOT_OUTPUT:
            continue
        if not name.endswith(".j2"):
            raise KcompileError(
                f"templates/{rel.as_posix()} is not a Jinja template: every file under templates/ "
                "is a *.j2 template (helpers start with '_'); rename it to "
                f"{name}.j2 if it is one, or move it out of templates/", path)
        if not name.startswith("_"):
            out.append(rel.as_posix())
    return out


def _satisfies(version: str, constraint: str) -> bool:
    """Whether ``version`` meets ``constraint``; a constraint kcompile cannot read
    (``1.x``, ``||``) is not checked rather than refused (Helm would accept it)."""
    from .filters import semver_compare

    try:
        return semver_compare(constraint, version)
    except Exception:  # noqa: BLE001  (ChartFail, or a version that is not semver)
        return True


class Dependency:
    """A subchart as its parent declares it."""

    def __init__(self, chart: "Chart", key: str, condition: str | None, tags: list[str],
                 entry: dict | None = None) -> None:
        self.chart = chart
        self.entry = entry  # its Chart.yaml entry (None: a subchart the parent does not list)
        self.key = key  # the alias, else the name: its values key and import prefix
        self.condition = condition
        self.tags = tags

    def enabled(self, parent_values: dict[str, Any]) -> bool:
        """Helm's rule: the first condition path that holds a boolean decides; else any
        listed tag set true or false in ``tags`` (true wins); else enabled."""
        for path in (self.condition or "").split(","):
            path = path.strip()
            if not path:
                continue
            node: Any = parent_values
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, bool):
                return node
        tag_values = parent_values.get("tags") if isinstance(parent_values.get("tags"), dict) else {}
        seen = [tag_values[t] for t in self.tags if isinstance(tag_values.get(t), bool)]
        if seen:
            return any(seen)
        return True


class Chart:
    """One chart directory, its metadata, own values and dependencies (recursively)."""

    def __init__(self, directory: Path, parse: Any, name: str | None = None, depth: int = 0,
                 root: Any = None, ignore: tuple[Any, str] | None = None) -> None:
        from .chartfiles import load_ignore_rules

        if depth > 20:
            raise KcompileError("charts nested more than 20 levels deep under charts/", directory)
        self.root = chart_root(directory, root)  # every file read through it, confined to the chart
        self.dir = self.root.directory
        # (the .helmignore rules that apply, this chart's path below the directory they are of)
        self.ignore = ignore if ignore is not None else (load_ignore_rules(self.root), "")
        self.external: list[Chart] = []  # file:// dependencies (lying outside this chart)
        self.meta = load_chart_meta(directory, parse, self.root)
        if name is not None:  # an alias renames the chart, as in Helm (.Chart.Name)
            self.meta["name"] = name
        self.is_library = self.meta.get("type") == "library"
        self.own_values = load_own_values(directory, parse, self.root)
        self.dependencies = self._dependencies(parse, depth)

    def ignored(self, rel: str, is_dir: bool = False) -> bool:
        """Whether the ``.helmignore`` that applies leaves out the chart's file (or
        directory) ``rel``."""
        rules, prefix = self.ignore
        return bool(rules.rules) and rules.ignores_file(prefix + rel, is_dir)

    def _subchart(self, path: Path, parse: Any, name: str, alias: str | None, depth: int) -> "Chart":
        rules, prefix = self.ignore
        return Chart(path, parse, alias, depth + 1, self.root.descend(f"charts/{name}"),
                     (rules, f"{prefix}charts/{name}/"))

    def _external(self, entry: dict, i: int, parse: Any, alias: str | None, depth: int) -> "Chart":
        """A ``file://`` dependency: a chart directory anywhere, read confined to itself."""
        from ..load.files import Root
        from ..yaml.scalars import as_text

        where = (meta_file(self.dir), None)
        rel = as_text(entry["repository"])[len("file://"):]
        path = self.root.files.directory(self.dir, rel, where)
        if not (path / "Chart.yaml").is_file() and not (path / "chart.yaml").is_file():
            raise KcompileError(f"dependency {entry['name']!r}: {entry['repository']} is not a chart "
                                f"directory (no Chart.yaml in {path})", *where)
        self.root.files.note_listed(path)  # every file of it is an input of the build
        dep = Chart(path, parse, alias, depth + 1, Root(self.root.files, path, "chart directory"))
        real_name = load_chart_meta(path, parse, dep.root)["name"] if alias else dep.meta["name"]
        if str(real_name) != str(entry["name"]):
            raise KcompileError(f"dependency {entry['name']!r}: the chart at {entry['repository']} is named "
                                f"{real_name!r}", *where)
        wanted = as_text(entry["version"]) if entry.get("version") is not None else ""
        if wanted and not _satisfies(str(dep.meta.get("version")), wanted):
            raise KcompileError(f"dependency {entry['name']!r}: version {dep.meta.get('version')!r} of "
                                f"{entry['repository']} does not satisfy {wanted!r} (dependencies[{i}])", *where)
        self.external.append(dep)
        return dep

    def _dependencies(self, parse: Any, depth: int) -> list[Dependency]:
        sub_root = self.dir / "charts"
        present = {p.name: p for p in sorted(sub_root.iterdir())
                   if p.is_dir() and not p.name.startswith(".")
                   and not self.ignored(f"charts/{p.name}", True)} if sub_root.is_dir() else {}
        declared = self.meta.get("dependencies") or []
        if not isinstance(declared, list):
            raise KcompileError("Chart.yaml 'dependencies' must be a list", meta_file(self.dir))
        out: list[Dependency] = []
        listed: set[str] = set()
        for i, entry in enumerate(declared):
            if not isinstance(entry, dict) or not entry.get("name"):
                raise KcompileError(f"Chart.yaml dependencies[{i}] needs a 'name'", meta_file(self.dir))
            name = str(entry["name"])
            alias = str(entry["alias"]) if entry.get("alias") else None
            tags = entry.get("tags") or []
            condition = str(entry["condition"]) if entry.get("condition") else None
            tag_names = [str(t) for t in tags] if isinstance(tags, list) else []
            if name not in present and str(entry.get("repository") or "").startswith("file://"):
                listed.add(name)
                out.append(Dependency(self._external(entry, i, parse, alias, depth), alias or name,
                                      condition, tag_names, entry))
                continue
            path = present.get(name)
            if path is None:
                raise KcompileError(
                    f"dependency {name!r} is not in charts/{name}/: a chart's dependencies are read from "
                    "its charts/ directory (copy the subchart there, as 'helm dependency build' does)",
                    meta_file(self.dir))
            listed.add(name)
            out.append(Dependency(self._subchart(path, parse, name, alias, depth), alias or name,
                                  condition, tag_names, entry))
        for name, path in present.items():  # Helm renders undeclared subcharts too
            if name not in listed:
                out.append(Dependency(self._subchart(path, parse, name, None, depth), name, None, []))
        return out

    def files(self) -> list[str]:
        """Every file of the chart (subcharts included), relative to it: all are render
        inputs (read them through ``self.root``); see also :meth:`inputs`."""
        return self.root.walk()

    def inputs(self) -> "list[Chart]":
        """This chart and every ``file://`` dependency below it (each holds render inputs)."""
        out: list[Chart] = [self]
        todo = [self]
        while todo:
            c = todo.pop()
            subs = list(c.external) + [d.chart for d in c.dependencies if d.chart not in c.external]
            for sub in subs:
                if sub in c.external:
                    out.append(sub)
                todo.append(sub)
        return out

    def file_names(self) -> list[str]:
        """The names ``files`` holds in this chart's templates (:mod:`.chartfiles`)."""
        from .chartfiles import file_names

        rules, prefix = self.ignore
        return file_names(self.files(), rules, prefix)
