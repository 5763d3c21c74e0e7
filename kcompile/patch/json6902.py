"""JSON 6902 patches (RFC 6902 operations), applied with the ``jsonpatch`` package."""

from __future__ import annotations

from typing import Any

from ..errors import KcompileError


def apply_json6902(obj: dict, operations: list[dict], *, file: str | None = None, line: Any = None) -> dict:
    """Apply ``operations`` to ``obj``; returns the patched object (``obj`` untouched).

    A failed operation (missing path, failed ``test``, bad op) is a KcompileError that
    names the operation. ``line`` may be a callable finding the line (for that message).
    """
    import jsonpatch
    import jsonpointer

    for i, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise KcompileError(f"JSON 6902 operation {i + 1} needs 'op' and 'path'", file, line)
    import copy

    doc = copy.deepcopy(obj)
    md = doc.get("metadata")
    lent = isinstance(md, dict) and md.get("annotations") is None and any(
        str(op.get("path", "")).startswith("/metadata/annotations/") for op in operations)
    if lent:
        # In Kustomize an object always has annotations during a build (its own, removed
        # at the end), so `add /metadata/annotations/KEY` works on one that has none.
        md["annotations"] = {}
    # One operation at a time, so an error can name the operation; the messages of
    # jsonpatch/jsonpointer quote the whole object (it may be a Secret): never shown.
    for i, op in enumerate(operations, 1):
        what = f"JSON 6902 operation {i} ({op.get('op')} {op.get('path')})"
        if op.get("op") == "replace" and _missing_map_key(doc, op.get("path")):
            # Kustomize's JSON patch library adds a key that an existing map lacks
            op = {**op, "op": "add"}
        try:
            doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
        except jsonpatch.JsonPatchTestFailed:
            raise KcompileError(f"{what}: the test failed (the value differs)", file, line) from None
        except jsonpatch.InvalidJsonPatch:
            raise KcompileError(f"{what}: not a valid operation", file, line) from None
        except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException, KeyError, IndexError):
            raise KcompileError(f"{what}: the path does not exist in the object", file, line) from None
        except (TypeError, ValueError):
            raise KcompileError(f"{what}: does not apply to this object", file, line) from None
    if lent and isinstance(doc.get("metadata"), dict) and doc["metadata"].get("annotations") == {}:
        del doc["metadata"]["annotations"]
    return doc


def _missing_map_key(doc: object, path: object) -> bool:
    """True if ``path`` names a key absent from a map that exists."""
    import jsonpointer

    if not isinstance(path, str):
        return False
    try:
        pointer = jsonpointer.JsonPointer(path)
    except jsonpointer.JsonPointerException:
        return False
    if not pointer.parts:
        return False
    try:
        parent = jsonpointer.JsonPointer.from_parts(pointer.parts[:-1]).resolve(doc)
    except (jsonpointer.JsonPointerException, KeyError, IndexError, TypeError):
        return False
    return isinstance(parent, dict) and pointer.parts[-1] not in parent
