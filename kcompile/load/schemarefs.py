"""JSON Schema ``$ref`` without the network or the file system at large.

A schema a build uses (a chart's ``values.schema.json``, a CustomResourceDefinition's
``openAPIV3Schema``, an ``openapi:`` or ``crds:`` document) may refer to parts of itself
(``#/$defs/port``). A chart's schema may also refer to a file beside it in the chart
(``definitions.json#/port``), read through the chart's root like every other chart file.
Nothing else is followed: an ``http://``, ``https://`` or ``file://`` reference, or any
other absolute URI, is refused, so validating never makes a network request and never
shows a file from outside in a message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import KcompileError

REFUSED = ("only references inside the schema, or to files beside it in the chart, are followed "
           "(no network, no file:// URLs)")


def refuse_retrieval(uri: str) -> Any:
    """A ``retriever`` for jsonschema-rs: every reference not in the document is refused."""
    raise ValueError(f"$ref {uri!r} refused: {REFUSED}")


def values_registry(root: Any, schema_file: str) -> Any:
    """A ``referencing`` registry for a chart's values schema: relative references are
    files beside it inside the chart (through ``root``), anything else is refused."""
    import json

    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def retrieve(uri: str) -> Any:
        parts = urlsplit(uri)
        if parts.scheme or parts.netloc or root is None or not parts.path:
            raise KcompileError(f"values.schema.json: $ref {uri!r} refused: {REFUSED}", schema_file)
        where = (schema_file, None)
        text = root.read_text(parts.path, where)
        try:
            contents = json.loads(text)
        except json.JSONDecodeError as e:
            raise KcompileError(f"$ref {uri!r}: not valid JSON: {e.msg}", root.path(parts.path, where),
                                e.lineno) from None
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    return Registry(retrieve=retrieve)


def reference_error(error: BaseException, schema_file: str) -> KcompileError:
    """The user error behind a failed reference (a refusal above, or an unresolvable one)."""
    seen = error
    while seen is not None:
        if isinstance(seen, KcompileError):
            return seen
        seen = seen.__cause__ or seen.__context__
    ref = getattr(error, "ref", None) or getattr(getattr(error, "_wrapped", None), "ref", None)
    return KcompileError(f"values.schema.json: cannot resolve $ref {ref!r}" if ref else
                         f"values.schema.json: cannot resolve a $ref: {error}", schema_file)
