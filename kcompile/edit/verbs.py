"""What each ``kcompile edit`` verb does to an overlay document, with ``kustomize edit``'s
meaning (same arguments, same resulting fields) but changing the file in place rather
than rewriting it: entries are updated where they stand and new ones appended (kept in
name order where the list already is, as Kustomize writes it).

Every function takes the document and the parsed arguments, validates all arguments
before changing anything, and raises ``KcompileError`` naming the bad argument.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any

from ..errors import KcompileError
from .document import OverlayDocument

_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*|\*)$")
_PRESERVE = "*"


def _cm(**fields: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap()
    for k, v in fields.items():
        if v not in (None, "", [], {}):
            m[k] = v
    return m


def _insert_sorted(items: Any, entry: Any, key: str = "name") -> None:
    """Append ``entry``, or insert it in name order if the list is sorted by name."""
    names = [i.get(key) for i in items if isinstance(i, dict)]
    if len(names) == len(items) and names == sorted(names, key=str) and all(isinstance(n, str) for n in names):
        pos = sum(1 for n in names if n < entry[key])
        items.insert(pos, entry)
    else:
        items.append(entry)


# -- set image ------------------------------------------------------------------------
def parse_image(arg: str) -> dict[str, str]:
    """``NAME=NEWNAME:TAG@DIGEST``, ``NAME=NEWNAME``, ``NAME:TAG``, ``NAME@DIGEST`` (and
    ``*`` as new name, tag or digest: keep the file's value) -> the images entry."""
    bad = KcompileError(
        f"invalid image {arg!r}: use NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST, NAME=NEWNAME, "
        "NAME:TAG, NAME@DIGEST or NAME=NEWNAME:TAG@DIGEST")
    overwrite_name = "=" in arg
    if overwrite_name:
        parts = arg.split("=")
        if len(parts) != 2 or not parts[0]:
            raise bad
        name, rest = parts
    else:
        name, rest = "", arg
    new_name = tag = digest = ""
    if "@" in rest:
        head, _, digest = rest.partition("@")
        if not digest or "@" in digest:
            raise bad
        m = _TAG.match(head)
        if m and "/" not in m.group(2):
            head, tag = m.group(1), m.group(2)
        new_name = head
    else:
        m = _TAG.match(rest)
        if m:
            new_name, tag = m.group(1), m.group(2)
        elif rest and overwrite_name:
            new_name = rest
        else:
            raise bad
    if not overwrite_name:
        name, new_name = new_name, ""
    if not name or any(c.isspace() for c in arg):
        raise bad
    return {"name": name, "newName": new_name, "newTag": tag, "digest": digest}


def set_image(doc: OverlayDocument, args: list[str]) -> None:
    if not args:
        raise KcompileError("set image needs at least one image (NAME=NEWNAME:TAG, NAME:TAG, ...)")
    wanted = {}
    for a in args:
        img = parse_image(a)
        wanted[img["name"]] = img
    images = doc.list_field("images")
    for entry in images:
        if isinstance(entry, dict) and entry.get("name") in wanted:
            img = wanted.pop(entry["name"])
            for field in ("newName", "newTag", "digest"):
                value = img[field]
                if value == _PRESERVE:
                    continue  # keep what the file has
                if value:
                    entry[field] = value
                else:
                    entry.pop(field, None)
    for img in wanted.values():
        _insert_sorted(images, _cm(**{k: (v if v != _PRESERVE else "") for k, v in img.items()}))


# -- set replicas, namespace, prefixes ------------------------------------------------
def set_replicas(doc: OverlayDocument, args: list[str]) -> None:
    parsed = []
    for a in args or [""]:
        name, sep, count = a.partition("=")
        if not sep or not name or not count.isdigit():
            raise KcompileError(f"invalid replicas {a!r}: use NAME=COUNT (a whole number)")
        parsed.append((name, int(count)))
    replicas = doc.list_field("replicas")
    for name, count in parsed:
        for entry in replicas:
            if isinstance(entry, dict) and entry.get("name") == name:
                entry["count"] = count
                break
        else:
            _insert_sorted(replicas, _cm(name=name, count=count))


def set_scalar(field: str):
    def run(doc: OverlayDocument, args: list[str]) -> None:
        if len(args) != 1:
            raise KcompileError(f"set {field.lower()} takes exactly one value")
        value = args[0]
        if field == "namespace" and value and not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value):
            raise KcompileError(f"invalid namespace {value!r}: a DNS-1123 label (lower case, digits, '-')")
        doc.set(field, value)
    return run


# -- labels and annotations -----------------------------------------------------------
def parse_pairs(args: list[str], what: str) -> list[tuple[str, str]]:
    """``key:value`` pairs (Kustomize's syntax; the value may hold ':')."""
    out = []
    for a in args:
        key, sep, value = a.partition(":")
        if not sep or not key:
            raise KcompileError(f"invalid {what} {a!r}: use KEY:VALUE")
        out.append((key, value))
    if not out:
        raise KcompileError(f"no {what} given (KEY:VALUE)")
    return out


def labels_map(doc: OverlayDocument, without_selector: bool, include_templates: bool) -> Any:
    """Where ``set/add label`` writes: ``commonLabels``, or, with --without-selector, the
    ``labels`` entry with includeSelectors false (and includeTemplates as asked)."""
    if not without_selector:
        return doc.map_field("commonLabels")
    labels = doc.list_field("labels")
    for entry in labels:
        if isinstance(entry, dict) and not entry.get("includeSelectors") \
                and bool(entry.get("includeTemplates")) == include_templates and isinstance(entry.get("pairs"), dict):
            return entry["pairs"]
    entry = _cm(pairs=_cm())
    entry["pairs"] = _cm()
    if include_templates:
        entry["includeTemplates"] = True
    labels.append(entry)
    return entry["pairs"]


def put_pairs(target: Any, pairs: list[tuple[str, str]], force: bool, what: str) -> None:
    if not force:
        for key, _ in pairs:
            if key in target:
                raise KcompileError(f"{what} {key!r} already exists; use 'set {what}' or --force to change it")
    for key, value in pairs:
        target[key] = value


def remove_keys(doc: OverlayDocument, field: str, keys: list[str], what: str, ignore_missing: bool) -> None:
    if not keys:
        raise KcompileError(f"no {what} keys given")
    target = doc.get(field)
    present = set(target) if isinstance(target, dict) else set()
    for entry in doc.get("labels") or [] if field == "commonLabels" else []:
        if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict):
            present |= set(entry["pairs"])
    missing = [k for k in keys if k not in present]
    if missing and not ignore_missing:
        raise KcompileError(f"{what} {missing[0]!r} is not in {doc.path.name}")
    if isinstance(target, dict):
        for k in keys:
            target.pop(k, None)
        if not target:
            doc.remove(field)
    if field == "commonLabels":
        for entry in doc.get("labels") or []:
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict):
                for k in keys:
                    entry["pairs"].pop(k, None)


# -- resources, components -------------------------------------------------------------
def add_paths(field: str):
    def run(doc: OverlayDocument, args: list[str]) -> None:
        if not args:
            raise KcompileError(f"add {field.rstrip('s')} needs at least one path")
        items = doc.list_field(field)
        have = set(str(i) for i in items)
        base = doc.path.parent
        for pattern in args:
            if "://" in pattern or pattern.startswith(("git@", "github.com/")):
                matches = [pattern]  # a remote resource
            else:
                found = sorted(glob.glob(os.path.join(glob.escape(str(base)), pattern)))
                if not found:
                    raise KcompileError(f"{pattern!r} matches no file or directory in {base}")
                matches = [os.path.relpath(f, base) for f in found]
            for m in matches:
                if m not in have:
                    items.append(m)
                    have.add(m)
    return run


def remove_paths(field: str):
    def run(doc: OverlayDocument, args: list[str]) -> None:
        items = doc.get(field)
        if not isinstance(items, list):
            return
        keep = [i for i in items if not any(glob.fnmatch.fnmatch(str(i), a) for a in args)]
        for i in [i for i in items if i not in keep]:
            items.remove(i)
        if not items:
            doc.remove(field)
    return run


# -- patches ---------------------------------------------------------------------------
TARGET_FIELDS = (("group", "group"), ("version", "version"), ("kind", "kind"), ("name", "name"),
                 ("namespace", "namespace"), ("label_selector", "labelSelector"),
                 ("annotation_selector", "annotationSelector"))


def patch_entry(ns: Any) -> Any:
    if bool(ns.path) == bool(ns.patch):
        raise KcompileError("give exactly one of --path FILE or --patch TEXT")
    target = _cm(**{key: getattr(ns, attr) for attr, key in TARGET_FIELDS})
    entry = _cm(path=ns.path, patch=ns.patch)
    if target:
        entry["target"] = target
    return entry


def add_patch(doc: OverlayDocument, ns: Any) -> None:
    entry = patch_entry(ns)
    if ns.path and not os.path.isfile(doc.path.parent / ns.path):  # False for a name too long, too
        raise KcompileError(f"patch file {ns.path!r} does not exist in {doc.path.parent}")
    patches = doc.list_field("patches")
    if any(_same_patch(p, entry) for p in patches):
        return  # Kustomize skips a patch that is already there
    patches.append(entry)


def _same_patch(a: Any, b: Any) -> bool:
    return isinstance(a, dict) and a.get("path") == b.get("path") and a.get("patch") == b.get("patch") \
        and dict(a.get("target") or {}) == dict(b.get("target") or {})


def remove_patch(doc: OverlayDocument, ns: Any) -> None:
    entry = patch_entry(ns)
    patches = doc.get("patches")
    if not isinstance(patches, list):
        return
    for p in [p for p in patches if _same_patch(p, entry)]:
        patches.remove(p)
    if not patches:
        doc.remove("patches")


# -- generators -------------------------------------------------------------------------
def add_generator(field: str):
    def run(doc: OverlayDocument, ns: Any) -> None:
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", ns.name):
            raise KcompileError(f"invalid name {ns.name!r}: a DNS-1123 subdomain")
        literals = []
        for n, lit in enumerate(ns.from_literal or [], 1):
            if "=" not in lit or lit.startswith("="):
                # a Secret's literal is named by its position: without its '=' it may be all value
                shown = f"number {n}" if field == "secretGenerator" else f"{lit.split('=')[0]!r}..."
                raise KcompileError(f"invalid --from-literal {shown}: use KEY=VALUE")
            literals.append(lit)
        for f in (ns.from_file or []) + (ns.from_env_file or []):
            path = f.split("=", 1)[-1]
            if not os.path.isfile(doc.path.parent / path):  # False for a name too long, too
                raise KcompileError(f"file {path!r} does not exist in {doc.path.parent}")
        if not (literals or ns.from_file or ns.from_env_file):
            raise KcompileError("give at least one of --from-literal, --from-file, --from-env-file")
        items = doc.list_field(field)
        existing = next((e for e in items if isinstance(e, dict) and e.get("name") == ns.name
                         and e.get("namespace") == (ns.namespace or e.get("namespace"))), None)
        if existing is None:
            existing = _cm(name=ns.name, namespace=ns.namespace, behavior=ns.behavior,
                           type=getattr(ns, "type", None))
            items.append(existing)
        for key, values in (("literals", literals), ("files", ns.from_file or []), ("envs", ns.from_env_file or [])):
            if values:
                from ruamel.yaml.comments import CommentedSeq

                seq = existing.setdefault(key, CommentedSeq())
                for v in values:
                    if key == "literals":
                        k = v.split("=", 1)[0]
                        old = [x for x in seq if str(x).split("=", 1)[0] == k]
                        if old:
                            raise KcompileError(f"key {k!r} already exists in {field} {ns.name!r}")
                    if v not in seq:
                        seq.append(v)
    return run


def remove_named(field: str):
    def run(doc: OverlayDocument, args: list[str]) -> None:
        items = doc.get(field)
        names = set(args)
        present = {e.get("name") for e in items or [] if isinstance(e, dict)}
        missing = sorted(names - present)
        if missing:
            raise KcompileError(f"{field.replace('Generator', '')} {missing[0]!r} is not in {doc.path.name}")
        for e in [e for e in items if isinstance(e, dict) and e.get("name") in names]:
            items.remove(e)
        if not items:
            doc.remove(field)
    return run


# -- buildMetadata ------------------------------------------------------------------------
BUILD_METADATA = ("originAnnotations", "transformerAnnotations", "managedByLabel")


def add_buildmetadata(doc: OverlayDocument, args: list[str]) -> None:
    values = [v for a in args for v in a.split(",") if v]
    for v in values:
        if v not in BUILD_METADATA:
            raise KcompileError(f"invalid buildMetadata option {v!r} (one of {', '.join(BUILD_METADATA)})")
    items = doc.list_field("buildMetadata")
    for v in values:
        if v in items:
            raise KcompileError(f"buildMetadata option {v!r} is already in {doc.path.name}")
        items.append(v)


# -- chart values (kcompile) -------------------------------------------------------------
def set_value(doc: OverlayDocument, args: list[str]) -> None:
    """``RELEASE.path.to.key=VALUE`` under ``chartValues`` (the value read as YAML, as
    ``--set`` reads it)."""
    from ..yaml.read import load_one

    parsed = []
    for a in args:
        path, sep, raw = a.partition("=")
        parts = path.split(".")
        if not sep or len(parts) < 2 or not all(parts):
            raise KcompileError(f"invalid value {a.split('=')[0]!r}: use RELEASE.key.path=VALUE")
        try:
            value = load_one(raw) if raw else ""
        except KcompileError:
            value = raw
        if isinstance(value, (dict, list)):
            value = raw
        parsed.append((parts, value))
    from ruamel.yaml.comments import CommentedMap

    values = doc.map_field("chartValues")
    for parts, value in parsed:
        node = values
        for p in parts[:-1]:
            nxt = node.get(p)
            if not isinstance(nxt, dict):
                if nxt is not None:
                    raise KcompileError(f"chartValues {'.'.join(parts)}: {p!r} is not a map in {doc.path.name}")
                nxt = node[p] = CommentedMap()
            node = nxt
        node[parts[-1]] = value


# -- fix ------------------------------------------------------------------------------------
def fix(doc: OverlayDocument, _args: list[str]) -> None:
    """Legacy fields to their replacements, as ``kustomize edit fix``: ``bases`` into
    ``resources``, ``patchesStrategicMerge`` and ``patchesJson6902`` into ``patches``,
    ``imageTags`` into ``images``, ``commonLabels`` into ``labels`` (with selectors)."""
    bases = doc.get("bases")
    if isinstance(bases, list):
        resources = doc.list_field("resources")
        for b in bases:
            if b not in resources:
                resources.append(b)
        doc.remove("bases")
    psm = doc.get("patchesStrategicMerge")
    if isinstance(psm, list):
        patches = doc.list_field("patches")
        for p in psm:
            patches.append(_cm(patch=p) if "\n" in str(p) else _cm(path=p))
        doc.remove("patchesStrategicMerge")
    pj = doc.get("patchesJson6902")
    if isinstance(pj, list):
        patches = doc.list_field("patches")
        for p in pj:
            if isinstance(p, dict):
                patches.append(_cm(path=p.get("path"), patch=p.get("patch"), target=p.get("target")))
        doc.remove("patchesJson6902")
    tags = doc.get("imageTags")
    if isinstance(tags, list):
        images = doc.list_field("images")
        for t in tags:
            images.append(t)
        doc.remove("imageTags")
    common = doc.get("commonLabels")
    if isinstance(common, dict) and common:
        labels = doc.list_field("labels")
        labels.append(_cm(pairs=common, includeSelectors=True))
        doc.remove("commonLabels")
