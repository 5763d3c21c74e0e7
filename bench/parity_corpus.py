#!/usr/bin/env python3
"""Real-world parity: `kcompile build` against `kubectl kustomize` on other people's trees.

Give it directories (checkouts of public repositories, kept OUTSIDE this project): every
kustomization directory below them is built by both tools, from the directory given
(the current directory of both processes), and the documents are compared in order,
parsed, so that quoting style does not count. Directories that kubectl cannot build
are left out of the figure; for the others the script prints how many kcompile builds
to identical documents, then each class of difference (a normalised error message, or
the first field path that differs) with how many directories show it and examples.

    python bench/parity_corpus.py /tmp/rw/* [--validate] [--jobs 2] [--examples 3]
                                  [--json report.json] [--kcompile-path DIR]

``--validate`` also runs the default build (validation on) of every directory that
matched, and reports those that validation stops as their own classes.
``--kcompile-path`` runs the kcompile package found in DIR (another checkout, e.g. an
earlier commit for a before/after figure) instead of this one. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reference import reference_tools  # noqa: E402

OVERLAY_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SKIP_DIRS = {".git", "node_modules", "vendor", ".kcompile"}
TIMEOUT = 120


@dataclass
class Outcome:
    directory: str
    status: str  # "excluded" (kubectl fails), "same", "differs"
    difference: str = ""
    detail: str = ""
    validation: str = ""  # with --validate: "" when the validating build succeeded
    extra: dict = field(default_factory=dict)


def kustomization_dirs(root: Path) -> list[Path]:
    """Every directory under ``root`` that holds a kustomization file, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if any(name in filenames for name in OVERLAY_FILES):
            found.append(Path(dirpath))
    return found


def _documents(text: str) -> list:
    from kcompile.yaml.read import load_documents

    return [d.data for d in load_documents(text) if d.data is not None]


def _object_id(doc) -> str:
    if not isinstance(doc, dict):
        return repr(type(doc))
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    return f"{doc.get('kind')}/{meta.get('namespace') or ''}/{meta.get('name')}"


def first_difference(ours, theirs, path: str = "") -> tuple[str, str] | None:
    """The first path at which two parsed values differ, and how (None if equal)."""
    if type(ours) is not type(theirs):
        if isinstance(ours, bool) or isinstance(theirs, bool) or not (
            isinstance(ours, (int, float)) and isinstance(theirs, (int, float))
        ):
            return path or ".", f"type {type(theirs).__name__} -> {type(ours).__name__}"
    if isinstance(ours, dict):
        for key in theirs:
            if key not in ours:
                return f"{path}.{key}", "missing in kcompile"
        for key in ours:
            if key not in theirs:
                return f"{path}.{key}", "extra in kcompile"
        for key in theirs:
            found = first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list):
        if len(ours) != len(theirs):
            return path + "[]", f"length {len(theirs)} -> {len(ours)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if ours != theirs:
        return path or ".", "value differs"
    return None


_NORMALISE = [
    (re.compile(r"^kcompile: error: "), ""),
    (re.compile(r"^[^\s:]+(:\d+)?: "), ""),  # FILE:LINE:
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), "'…'"),
    (re.compile(r"\S*/\S*"), "PATH"),
    (re.compile(r"\b\d+\b"), "N"),
]


def error_class(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("kcompile: error:")]
    line = lines[0] if lines else (stderr.strip().splitlines() or ["(no message)"])[-1]
    for pattern, repl in _NORMALISE:
        line = pattern.sub(repl, line)
    return line[:160]


def field_class(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def compare(ours_text: str, theirs_text: str) -> tuple[str, str] | None:
    ours, theirs = _documents(ours_text), _documents(theirs_text)
    if ours == theirs:
        return None
    ids_ours, ids_theirs = [_object_id(d) for d in ours], [_object_id(d) for d in theirs]
    if ids_ours != ids_theirs:
        if sorted(ids_ours) == sorted(ids_theirs):
            first = next(i for i, (a, b) in enumerate(zip(ids_ours, ids_theirs)) if a != b)
            return "order of objects", f"#{first}: kubectl {ids_theirs[first]}, kcompile {ids_ours[first]}"
        missing = sorted(set(ids_theirs) - set(ids_ours))
        extra = sorted(set(ids_ours) - set(ids_theirs))
        kinds = sorted({i.split("/")[0] for i in missing + extra})
        return f"objects differ ({', '.join(kinds)})", f"missing {missing[:3]} extra {extra[:3]}"
    for oid, a, b in zip(ids_ours, ours, theirs):
        found = first_difference(a, b)
        if found:
            where, how = found
            kind = oid.split("/")[0]
            return f"{kind} {field_class(where)}: {how}", f"{oid} {where}: kubectl {_short(b, where)!s} kcompile {_short(a, where)!s}"
    return "documents differ", ""


def _short(doc, where: str) -> str:
    value = doc
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", where):
        key, index = part
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            return "(absent)"
    text = json.dumps(value, default=str)
    return text if len(text) < 120 else text[:117] + "..."


def run_one(directory: Path, root: Path, kubectl: Path, validate: bool, env: dict | None = None) -> Outcome:
    rel = os.path.relpath(directory, root)
    name = f"{root.name}/{rel}"
    try:
        ref = subprocess.run([str(kubectl), "kustomize", rel], cwd=root, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Outcome(name, "excluded", "kubectl timed out")
    if ref.returncode != 0:
        return Outcome(name, "excluded", "kubectl fails", ref.stderr.strip()[:200])
    cmd = [sys.executable, "-m", "kcompile", "build", rel, "--no-cache"]
    try:
        ours = subprocess.run([*cmd, "--no-validate"], cwd=root, capture_output=True, text=True, timeout=TIMEOUT,
                              env=env)
    except subprocess.TimeoutExpired:
        return Outcome(name, "differs", "kcompile timed out")
    if ours.returncode != 0:
        return Outcome(name, "differs", "error: " + error_class(ours.stderr), ours.stderr.strip()[:300])
    try:
        found = compare(ours.stdout, ref.stdout)
    except Exception as e:  # a document kcompile's reader refuses is itself a finding
        found = ("unreadable output", str(e)[:200])
    if found:
        return Outcome(name, "differs", found[0], found[1])
    outcome = Outcome(name, "same")
    if validate:
        checked = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=TIMEOUT, env=env)
        if checked.returncode != 0:
            outcome.validation = "validation: " + error_class(checked.stderr)
            outcome.detail = checked.stderr.strip()[:300]
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path, help="directories to search for kustomizations")
    parser.add_argument("--validate", action="store_true", help="also run the default (validating) build")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--examples", type=int, default=3, help="examples shown per class")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--kcompile-path", type=Path, help="import kcompile from this directory")
    parser.add_argument("--only", type=Path, metavar="FILE",
                        help="only the directories FILE lists, one per line as ROOTNAME/RELATIVE/PATH "
                             "(as this script names them), e.g. the ones an earlier run found different")
    args = parser.parse_args(argv)

    kubectl = reference_tools().kubectl
    env = None
    if args.kcompile_path:
        env = dict(os.environ, PYTHONPATH=str(args.kcompile_path.resolve()))
    work = [(d, root.resolve()) for root in args.roots for d in kustomization_dirs(root.resolve())]
    if args.only:
        wanted = set(args.only.read_text().split())
        work = [(d, root) for d, root in work if f"{root.name}/{os.path.relpath(d, root)}" in wanted]
    done = [0]

    def one(item: tuple[Path, Path]) -> Outcome:
        outcome = run_one(item[0], item[1], kubectl, args.validate, env)
        done[0] += 1
        if done[0] % 50 == 0:
            print(f"{done[0]}/{len(work)}", file=sys.stderr, flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(one, work))

    built = [o for o in outcomes if o.status != "excluded"]
    same = [o for o in built if o.status == "same"]
    classes: dict[str, list[Outcome]] = defaultdict(list)
    for o in built:
        if o.status == "differs":
            classes[o.difference].append(o)
        elif o.validation:
            classes[o.validation].append(o)
    print(f"kustomization directories: {len(outcomes)}; kubectl builds {len(built)}")
    rate = 100 * len(same) / len(built) if built else 0.0
    print(f"kcompile --no-validate identical: {len(same)}/{len(built)} ({rate:.1f}%)")
    if args.validate:
        clean = [o for o in same if not o.validation]
        print(f"identical and validation passes: {len(clean)}/{len(built)}")
    for name, members in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"\n{len(members):4d}  {name}")
        for o in members[: args.examples]:
            print(f"      {o.directory}: {o.detail.splitlines()[0] if o.detail else ''}"[:240])
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
