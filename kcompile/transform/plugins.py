"""``transformers`` / ``generators`` / ``validators``: Kustomize's builtin plugins.

An entry is a file (one or more plugin configurations), a directory holding a
kustomization (its output objects are the configurations), or inline YAML text. Each
configuration has ``apiVersion: builtin`` and the plugin's ``kind``; its fields are
those of the matching kustomization field, with its own ``fieldSpecs`` where the
plugin takes them (a builtin plugin given as a configuration never uses the
kustomization's field-spec tables). Exec, Go and container (KRM function) plugins are
refused: running programs named by an overlay is outside what a build does.

A kustomization's own transformers run first, then its ``transformers`` entries in
order; ``generators`` run after its configMapGenerator/secretGenerator; a validator
runs like a transformer on a copy and must change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..errors import KcompileError
from ..model import Resource, deep_copy
from ..yaml.scalars import as_text
from .config import TransformerConfig, parse_field_specs

if TYPE_CHECKING:
    from ..load.overlay import OverlayFile
    from ..pipeline.session import Build

FUNCTION_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")


class PluginConfig:
    """One plugin configuration and where it was written."""

    __slots__ = ("data", "file", "line", "base")

    def __init__(self, data: dict[str, Any], file: str, line: int | None, base: Any) -> None:
        self.data = data
        self.file = file
        self.line = line
        # paths in it are relative to the kustomization that runs it, wherever it was written
        self.base = base

    @property
    def kind(self) -> str:
        return as_text(self.data.get("kind"))

    def error(self, message: str) -> KcompileError:
        return KcompileError(f"{self.kind or 'plugin'}: {message}", self.file, self.line)

    def field_specs(self) -> tuple:
        return parse_field_specs(self.data.get("fieldSpecs"), self.file, f"{self.kind}.fieldSpecs")


def load_configs(b: "Build", ov: "OverlayFile", key: str) -> list[PluginConfig]:
    """The plugin configurations an overlay's ``transformers``/``generators``/``validators`` name."""
    from ..load.overlay import find_overlay_file
    from ..pipeline.accumulate import accumulate
    from ..yaml.read import load_documents

    out: list[PluginConfig] = []
    for i, entry in enumerate(ov.get(key, [])):
        where = ov.where(key, i)
        line = ov.line_of(key, i)
        if isinstance(entry, dict):
            out.append(PluginConfig(entry, str(ov.path), line, ov.dir))
            continue
        text = as_text(entry)
        if "\n" in text or text.lstrip().startswith("apiVersion:") or text.lstrip().startswith("kind:"):
            for d in load_documents(text, str(ov.path)):
                if isinstance(d.data, dict):
                    out.append(PluginConfig(d.data, str(ov.path), (line or 0) + d.line, ov.dir))
            continue
        path = b.files.resolve(ov.dir, text, where)
        if path.is_dir():  # a kustomization directory of plugin configs: anywhere, as a base
            if find_overlay_file(path) is None:
                raise KcompileError(f"{key} entry {text!r} is a directory without a kustomization", *where)
            for r in accumulate(b, path, where).resources:
                if r.body:
                    file, rline = r.where()
                    out.append(PluginConfig(r.body, file or str(path), rline, ov.dir))
            continue
        if not path.exists():
            raise KcompileError(f"{key} entry {text!r} not found ({path})", *where)
        b.files.check_file(path, ov.dir, where)
        for d in b.cache.load_documents(b.files.read_text(path, where), str(path)):
            if d.data is None:
                continue
            if not isinstance(d.data, dict):
                raise KcompileError("a plugin configuration must be a YAML map", path, d.line)
            out.append(PluginConfig(d.data, str(path), d.line, ov.dir))
    for c in out:
        _check_builtin(c)
    return out


def _check_builtin(c: PluginConfig) -> None:
    api = as_text(c.data.get("apiVersion"))
    md = c.data.get("metadata") if isinstance(c.data.get("metadata"), dict) else {}
    annotations = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
    # apiVersion builtin runs the builtin, whatever function annotation it also carries
    # (such files double as KRM function configurations for `kustomize fn`)
    if api != "builtin" and any(a in annotations for a in FUNCTION_ANNOTATIONS):
        raise c.error("container and exec plugins (KRM functions) are not supported: kcompile runs only "
                      "Kustomize's builtin plugins (apiVersion: builtin)")
    if api != "builtin":
        raise c.error(f"apiVersion {api!r} names an exec or Go plugin, which is not supported: kcompile runs only "
                      "Kustomize's builtin plugins (apiVersion: builtin)")
    if not c.kind:
        raise c.error("a plugin configuration needs a 'kind'")


def run_generator_plugins(b: "Build", ov: "OverlayFile", resources: list[Resource]) -> None:
    for c in load_configs(b, ov, "generators"):
        if c.kind in ("ConfigMapGenerator", "SecretGenerator"):
            entry = {k: v for k, v in c.data.items() if k not in ("apiVersion", "kind", "metadata")}
            md = c.data.get("metadata") if isinstance(c.data.get("metadata"), dict) else {}
            entry.setdefault("name", md.get("name"))
            if md.get("namespace") and not entry.get("namespace"):
                entry["namespace"] = md["namespace"]
            kind = "ConfigMap" if c.kind == "ConfigMapGenerator" else "Secret"
            from ..pipeline.generated import generate_one

            generate_one(b, c.base, kind, entry, None, (c.file, c.line), resources)
        elif c.kind == "HelmChartInflationGenerator":
            # Kustomize's helmCharts fields and helmGlobals' chartHome/configHome in one map
            from ..charts.helmbuild import inflate_entries

            entry = {k: v for k, v in c.data.items() if k not in ("apiVersion", "kind", "metadata")}
            globals_ = {k: entry.pop(k) for k in ("chartHome", "configHome") if k in entry}
            inflate_entries(b, ov, [(entry, (c.file, c.line))], globals_, (c.file, c.line), resources,
                            default_namespace=False)
        elif c.kind == "IAMPolicyGenerator":
            from ..pipeline.session import add_all

            add_all(resources, [_iam_service_account(c)], (c.file, c.line))
        elif c.kind in TRANSFORMERS:
            raise c.error("is a transformer; list it under 'transformers', not 'generators'")
        else:
            raise c.error(f"no builtin generator is named {c.kind!r}")


def _iam_service_account(c: PluginConfig) -> Resource:
    """IAMPolicyGenerator: a ServiceAccount bound to a cloud IAM account (GKE only, as
    in Kustomize)."""
    from ..model import Origin

    cloud = as_text(c.data.get("cloud"))
    if cloud != "gke":
        raise c.error(f"cloud provider {cloud!r} is not supported (Kustomize knows only 'gke')")
    k8s = c.data.get("kubernetesService") if isinstance(c.data.get("kubernetesService"), dict) else {}
    account = c.data.get("serviceAccount") if isinstance(c.data.get("serviceAccount"), dict) else {}
    md: dict[str, Any] = {
        "annotations": {"iam.gke.io/gcp-service-account":
                        f"{as_text(account.get('name'))}@{as_text(account.get('projectId'))}.iam.gserviceaccount.com"},
        "name": as_text(k8s.get("name")),
    }
    if k8s.get("namespace"):
        md["namespace"] = as_text(k8s["namespace"])
    return Resource({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md},
                    origin=Origin(c.file, c.line or 1))


def run_transformer_plugins(b: "Build", ov: "OverlayFile", resources: list[Resource], key: str,
                     config: TransformerConfig) -> list[Resource]:
    for c in load_configs(b, ov, key):
        fn = TRANSFORMERS.get(c.kind)
        if fn is None:
            if c.kind in ("ConfigMapGenerator", "SecretGenerator", "HelmChartInflationGenerator", "IAMPolicyGenerator"):
                raise c.error(f"is a generator; list it under 'generators', not '{key}'")
            if c.kind == "SortOrderTransformer":
                raise c.error("is not a builtin plugin (Kustomize allows it only as 'sortOptions' of the "
                              "top-level kustomization); use 'sortOptions'")
            raise c.error(f"no builtin transformer is named {c.kind!r}")
        if key == "validators":
            before = [deep_copy(r.body) for r in resources]
            trial = fn(b, c, [r.copy() for r in resources], config)
            if [r.body for r in trial if r.body] != [x for x in before if x]:
                raise c.error("a validator must not change the objects")
        else:
            resources = fn(b, c, resources, config)
    return resources


# -- the builtin transformers: (build, config, resources, tables) -> resources --------------


def _patch(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from ..pipeline.transformers import patch_from
    from .patches import apply_patch

    d = c.data
    if d.get("path") and d.get("patch"):
        raise c.error("patch and path can't be set at the same time")
    if not d.get("path") and not d.get("patch"):
        raise c.error("must specify one of patch and path")
    patch = patch_from(b, c.base, c.file, c.line, d.get("path"), d, (c.file, c.line))
    return apply_patch(resources, patch, b.merger, warn=b.warn)


def _patch_smp(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from ..pipeline.transformers import patch_from
    from .patches import apply_patch
    from .selectors import ResourceIndex

    paths = c.data.get("paths") or []
    inline = c.data.get("patches")
    if not paths and not inline:
        raise c.error("empty file path and empty patch content")
    entries = [(p, True) for p in paths] + ([(inline, True)] if inline else [])
    for p, inline_ok in entries:
        patch = patch_from(b, c.base, c.file, c.line, p, None, (c.file, c.line), inline_ok=inline_ok)
        resources = apply_patch(resources, patch, b.merger, ResourceIndex(resources), warn=b.warn)
    return resources


def _patch_json6902(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from ..pipeline.transformers import patch_from
    from .patches import apply_patch

    d = c.data
    target = d.get("target")
    if not isinstance(target, dict) or not target.get("name"):
        raise c.error("must specify the target name")
    if not d.get("path") and not d.get("jsonOp"):
        raise c.error("empty file path and empty jsonOp")
    if d.get("path") and d.get("jsonOp"):
        raise c.error("must specify a file path or jsonOp, not both")
    entry = {"target": target, "patch": d.get("jsonOp")} if d.get("jsonOp") else {"target": target}
    patch = patch_from(b, c.base, c.file, c.line, d.get("path"), entry, (c.file, c.line), force_json6902=True)
    return apply_patch(resources, patch, b.merger, warn=b.warn)


def _pairs_transformer(field: str, what: str) -> Callable:
    def run(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
        from .metadata import _string_map, add_pairs

        pairs = _string_map(c.data.get(field), f"{c.kind}.{field}", c.file)
        add_pairs(resources, pairs, list(c.field_specs()), what)
        return resources

    return run


def _prefix_suffix(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from .prefixsuffix import add_prefix_suffix

    if "fieldSpecs" not in c.data or c.data.get("fieldSpecs") is None:
        raise c.error("fieldSpecs is not expected to be nil")
    specs = c.field_specs()
    prefix = as_text(c.data.get("prefix")) if c.kind != "SuffixTransformer" else ""
    suffix = as_text(c.data.get("suffix")) if c.kind != "PrefixTransformer" else ""
    add_prefix_suffix(resources, prefix, suffix, prefix_specs=specs, suffix_specs=specs)
    return resources


def _namespace(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from .namespace import set_namespace

    md = c.data.get("metadata") if isinstance(c.data.get("metadata"), dict) else {}
    ns = as_text(md.get("namespace"))
    unset_only = c.data.get("unsetOnly") is True
    set_namespace(resources, ns, file=c.file, specs=c.field_specs(), unset_only=unset_only,
                  role_binding_subjects=as_text(c.data.get("setRoleBindingSubjects")) or "defaultOnly")
    return resources


def _image_tag(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from .images import apply_images

    image = c.data.get("imageTag")
    if not isinstance(image, dict) or not image.get("name"):
        raise c.error("needs an 'imageTag' with a 'name'")
    apply_images(resources, [image], file=c.file, config=TransformerConfig(images=c.field_specs()))
    return resources


def _replica_count(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from .replicas import apply_replicas

    replica = c.data.get("replica")
    if not isinstance(replica, dict):
        raise c.error("needs a 'replica' with 'name' and 'count'")
    apply_replicas(resources, [replica], file=c.file, specs=c.field_specs())
    return resources


def _replacement(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from ..pipeline.transformers import apply_replacement_entries

    apply_replacement_entries(b, c.base, c.data.get("replacements") or [], c.file, lambda i: c.line, resources)
    return resources


def _value_add(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    """ValueAddTransformer: write ``value`` (default: the kustomization directory's name)
    into a field of the selected objects, or insert it as a part of a path held there
    (``filePathPosition``, 1-based)."""
    from .namespace import set_namespace
    from .selectors import Target

    value = as_text(c.data.get("value")).strip() or c.base.name
    targets = list(c.data.get("targets") or [])
    if c.data.get("targetFilePath"):
        from ..yaml.read import load_documents

        where = (c.file, c.line)
        path = b.files.resolve(c.base, as_text(c.data["targetFilePath"]), where)
        b.files.check_file(path, c.base, where)
        docs = load_documents(b.files.read_text(path, where), str(path))
        extra = docs[0].data.get("targets") if docs and isinstance(docs[0].data, dict) else None
        targets += list(extra or [])
    if not targets:
        raise c.error("must specify at least one target")
    for t in targets:
        if not isinstance(t, dict) or not t.get("fieldPath"):
            raise c.error("fieldPath cannot be empty")
        position = t.get("filePathPosition") or 0
        if not isinstance(position, int) or position < 0:
            raise c.error(f"value of FilePathPosition ({position}) cannot be negative")
        selector = Target(t["selector"], c.file, c.line) if isinstance(t.get("selector"), dict) else None
        chosen = [r for r in resources if r.body and (selector is None or selector.matches(r))]
        field = as_text(t["fieldPath"])
        if field == "metadata/namespace":
            set_namespace(chosen, value, file=c.file, specs=())
            continue
        keys = field.replace("\\/", "\x00").split("/")
        keys = [k.replace("\x00", "/") for k in keys]
        for r in chosen:
            node: Any = r.body
            for key in keys[:-1]:
                child = node.get(key)
                if child is None:
                    child = node[key] = {}
                if not isinstance(child, dict):
                    raise c.error(f"{field}: {key!r} is not a map in {r.id()}")
                node = child
            current = node.get(keys[-1])
            if isinstance(current, (dict, list)):
                raise c.error(f"{field} is not a scalar in {r.id()}")
            node[keys[-1]] = (_insert_path_part(as_text(current), position - 1, value) if position > 0
                              else value)
    return resources


def _insert_path_part(path: str, pos: int, part: str) -> str:
    """Kustomize's filesys.InsertPathPart: ``part`` as path element ``pos`` (0-based;
    out of range = first or last); an absolute path stays absolute."""
    import posixpath

    if not part:
        return part if not path else path
    parts = path.split("/") if path else []
    if path.startswith("/"):
        parts = [""] + [p for p in parts[1:] if p]
    pos = max(0, min(pos, len(parts)))
    if parts and parts[0] == "" and pos < len(parts):
        pos += 1
    parts = parts[:pos] + [part] + parts[pos:]
    if parts[0] == "":
        return "/" + posixpath.normpath("/".join(parts[1:])) if len(parts) > 1 else "/"
    return posixpath.normpath("/".join(parts))


def _hash(b: "Build", c: PluginConfig, resources: list[Resource], _config: Any) -> list[Resource]:
    from ..build import add_hash_suffixes

    add_hash_suffixes(resources)
    return resources


TRANSFORMERS: dict[str, Callable] = {
    "PatchTransformer": _patch,
    "PatchStrategicMergeTransformer": _patch_smp,
    "PatchJson6902Transformer": _patch_json6902,
    "LabelTransformer": _pairs_transformer("labels", "labels"),
    "AnnotationsTransformer": _pairs_transformer("annotations", "annotations"),
    "PrefixSuffixTransformer": _prefix_suffix,
    "PrefixTransformer": _prefix_suffix,
    "SuffixTransformer": _prefix_suffix,
    "NamespaceTransformer": _namespace,
    "ImageTagTransformer": _image_tag,
    "ReplicaCountTransformer": _replica_count,
    "ReplacementTransformer": _replacement,
    "HashTransformer": _hash,
    "ValueAddTransformer": _value_add,
}
