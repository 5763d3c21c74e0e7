"""Offline JSON-schema validation against the Kubernetes schemas kubernetes-validate
ships (strict variant: unknown fields are errors), with jsonschema-rs.

jsonschema-rs (Rust) validates 1000 Deployments in ~1 ms and imports in ~11 ms; the
Python ``jsonschema`` package imports in ~50 ms and validates hundreds of times slower
(docs/decisions.md). Validators are built once per kind present in the build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..model import Resource, split_api_version
from . import Finding

DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"


def _schema_dir(kube_version: str | None) -> Path:
    from ..patch.schema import _schema_root, normalize_version

    return _schema_root() / f"v{normalize_version(kube_version)}-local-strict"


def _kind_file(directory: Path, api_version: str, kind: str) -> Path:
    group, version = split_api_version(api_version)
    k = kind.lower()
    if group:
        g = group.split(".")[0]
        return directory / f"{k}-{g}-{version}.json"
    return directory / f"{k}-{version}.json"


class SchemaValidator:
    """jsonschema-rs validators per kind, built on first use (importing jsonschema-rs and
    loading the definitions into its registry is the costly part, paid only when an
    object needs it: a custom kind, or one the compiled check did not pass)."""

    def __init__(self, kube_version: str | None, extra_schemas: Any = None) -> None:
        self.directory = _schema_dir(kube_version)
        self._registry: Any = None
        self.validators: dict[tuple[str, str], Any] = {}
        self.crd_schemas: dict[tuple[str, str], dict] = {}
        self.broken: dict[tuple[str, str], str] = {}
        for entry in extra_schemas or []:
            doc = entry[0] if isinstance(entry, tuple) else entry
            self.add_schemas(doc)

    @property
    def registry(self) -> Any:
        if self._registry is None:
            import jsonschema_rs

            with open(self.directory / "_definitions.json", encoding="utf-8") as f:
                defs = json.load(f)
            from ..load.schemarefs import refuse_retrieval

            self._registry = jsonschema_rs.Registry([(DEFINITIONS_ID, defs)], retriever=refuse_retrieval)
        return self._registry

    def add_schemas(self, doc: Any) -> None:
        """Take schemas for custom kinds from a CustomResourceDefinition (every version's
        ``openAPIV3Schema``), a List of them, or an OpenAPI document whose
        ``definitions`` carry ``x-kubernetes-group-version-kind`` (Kustomize's
        ``openapi:`` and ``crds:`` files). Anything else is ignored."""
        if not isinstance(doc, dict):
            return
        if doc.get("kind") == "CustomResourceDefinition":
            self._add_crd(doc)
        elif isinstance(doc.get("items"), list):
            for item in doc["items"]:
                self.add_schemas(item)
        else:
            definitions = doc.get("definitions")
            if not isinstance(definitions, dict):
                definitions = doc  # Kustomize's crds: files may be a bare definitions map
            for name, schema in definitions.items():
                gvks = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
                if not isinstance(gvks, list):
                    continue
                for gvk in gvks:
                    if not isinstance(gvk, dict) or not gvk.get("kind") or not gvk.get("version"):
                        continue
                    group = gvk.get("group") or ""
                    api = f"{group}/{gvk['version']}" if group else gvk["version"]
                    self.crd_schemas.setdefault((api, gvk["kind"]), {
                        "$ref": "#/definitions/" + name.replace("~", "~0").replace("/", "~1"),
                        "definitions": definitions,
                    })

    def _add_crd(self, crd: dict) -> None:
        spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        group, kind = spec.get("group", ""), names.get("kind")
        for v in spec.get("versions") or []:
            if not isinstance(v, dict):
                continue
            schema = (v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict) else None
            if kind and isinstance(schema, dict):
                self.crd_schemas[(f"{group}/{v.get('name')}", kind)] = schema

    def validator(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key in self.validators:
            return self.validators[key]
        schema = None
        if key in self.crd_schemas:
            schema = _openapi_to_jsonschema(self.crd_schemas[key])
        else:
            path = _kind_file(self.directory, api_version, kind)
            if path.is_file():
                with open(path, encoding="utf-8") as f:
                    schema = json.load(f)
                gvks = schema.get("x-kubernetes-group-version-kind") or []
                group, version = split_api_version(api_version)
                if gvks and not any(g.get("group", "") == group and g.get("version") == version
                                    and g.get("kind") == kind for g in gvks):
                    schema = None  # same file name, other group
        v = None
        if schema is not None:
            import jsonschema_rs

            try:
                from ..load.schemarefs import refuse_retrieval

                # $ref only inside the document: no network, no files
                v = jsonschema_rs.validator_for(schema, registry=self.registry, retriever=refuse_retrieval)
            except Exception as e:  # a user-supplied schema jsonschema-rs cannot compile
                self.broken[key] = str(e).splitlines()[0] if str(e) else type(e).__name__
        self.validators[key] = v
        return v


def _openapi_to_jsonschema(schema: dict) -> dict:
    """A CRD's structural schema is close enough to JSON Schema for validation; drop
    the Kubernetes extensions jsonschema-rs does not know."""
    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: clean(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
            if node.get("x-kubernetes-int-or-string"):
                out.pop("type", None)
            if node.get("nullable"):
                t = out.get("type")
                if isinstance(t, str):
                    out["type"] = [t, "null"]
            out.pop("nullable", None)
            return out
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(schema)


def schema_findings(resources: list[Resource], kube_version: str | None, extra_schemas: Any) -> list[Finding]:
    """Schema errors of every object; custom kinds are checked against the schemas
    given (``extra_schemas``) or a CustomResourceDefinition in the build itself, and
    kinds with no schema at all get one note per kind."""
    if not resources:
        return []
    from .compiled import load

    sv = SchemaValidator(kube_version, extra_schemas)
    compiled = load(sv.directory)
    for r in resources:
        if r.kind == "CustomResourceDefinition":
            sv.add_schemas(r.body)
    findings: list[Finding] = []
    skipped: dict[tuple[str, str], int] = {}
    sops: list[Resource] = []
    for r in resources:
        if "sops" in r.body and isinstance(r.body["sops"], dict):
            sops.append(r)  # SOPS-encrypted: its values are ciphertext until decrypted at deploy time
            continue
        key = (r.api_version, r.kind)
        if key not in sv.crd_schemas and compiled.has(*key) and compiled.is_valid(*key, r.body):
            continue  # valid: jsonschema-rs would find nothing either
        v = sv.validator(r.api_version, r.kind)
        if v is None:
            skipped[(r.api_version, r.kind)] = skipped.get((r.api_version, r.kind), 0) + 1
            continue
        if v.is_valid(r.body):
            continue
        try:
            errors = list(v.iter_errors(r.body))
        except ValueError as e:
            if "Recursion limit" not in str(e):
                raise
            # jsonschema-rs turns each error's instance back into Python values and stops
            # past 254 levels, while a document may nest 256 (the reader's limit)
            findings.append(Finding("error", r, [], "nested too deeply to be schema-checked (more than 254 levels)"))
            continue
        for e in errors:
            segments = list(e.instance_path)
            msg = _message(e)
            if r.kind == "Secret" and segments and segments[0] != "metadata":  # any field but its metadata
                msg = _without_value(msg, getattr(e, "instance", None))
            m = re.search(r"\('([^']+)' was unexpected\)", msg)
            if m and "Additional properties" in msg and "," not in m.group(0):
                segments.append(m.group(1))  # point at the unknown field itself
                msg = f"unknown field {m.group(1)!r} (not in the {r.kind} schema; a typo?)"
            findings.append(Finding("error", r, segments, msg))
    for r in sops:
        findings.append(Finding("note", r, ["sops"], "SOPS-encrypted: not schema-checked (decrypted at deploy time)"))
    for (api, kind), n in sorted(skipped.items()):
        if (api, kind) in sv.broken:
            findings.append(Finding(
                "warning", None, [], f"the schema given for {kind} ({api}) cannot be used: {sv.broken[(api, kind)]}; "
                f"{n} object(s) not schema-checked", path="", object_name=f"{kind} ({api})"))
            continue
        findings.append(Finding(
            "note", None, [], f"no schema for {kind} ({api}); {n} object(s) not schema-checked "
            "(add its CustomResourceDefinition under 'crds:' to check it)",
            path="", object_name=f"{kind} ({api})",
        ))
    return findings


def _without_value(msg: str, instance: Any) -> str:
    """A schema message about a field of a Secret with the value taken out (schema
    messages begin with the offending value)."""
    import json

    for shown in (json.dumps(instance), repr(instance), str(instance)):
        if msg.startswith(shown):
            return "(sensitive value)" + msg[len(shown):]
    return "(sensitive value) does not match the schema"


def _message(e: Any) -> str:
    msg = str(e.message)
    return msg.replace('is not of types "null", ', "is not of type ").replace('"null", ', "")
