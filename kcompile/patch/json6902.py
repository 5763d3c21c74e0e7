"""JSON 6902 patches (RFC 6902 operations), applied with the ``jsonpatch`` package."""

from __future__ import annotations

from typing import Any

from ..errors import KcompileError


def apply_json6902(obj: dict, operations: list[dict], *, file: str | None = None, line: int | None = None) -> dict:
    """Apply ``operations`` to ``obj``; returns the patched object (``obj`` untouched).

    A failed operation (missing path, failed ``test``, bad op) is a KcompileError that
    names the operation.
    """
    import jsonpatch
    import jsonpointer

    for i, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise KcompileError(f"JSON 6902 operation {i + 1} needs 'op' and 'path'", file, line)
    try:
        return jsonpatch.JsonPatch(operations).apply(obj, in_place=False)
    except jsonpatch.JsonPatchTestFailed as e:
        raise KcompileError(f"JSON 6902 'test' failed: {e}", file, line) from None
    except (jsonpatch.JsonPatchConflict, jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException) as e:
        raise KcompileError(f"JSON 6902 patch does not apply: {e}", file, line) from None
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise KcompileError(f"JSON 6902 patch does not apply: {e}", file, line) from None
