"""Generated inputs for the fuzz properties: overlay files built from the real field
names with values of every shape, Kubernetes objects mutated from valid ones, patches
with random paths, Jinja templates assembled from the real filters and tags, values and
schemas, generator and env files, and raw bytes. Each strategy gives text or bytes ready
to write; :func:`trees` gives a whole repository (relative path -> content)."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from kcompile.charts.filters import FILTERS, GLOBALS
from kcompile.load.overlay import SUPPORTED_FIELDS

# --- scalars and values of any shape ---------------------------------------------------


class BigInt(str):
    """An integer written out in digits (Python will not turn >4300 digits into an int)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(BigInt, lambda d, v: d.represent_scalar("tag:yaml.org,2002:int", str(v)))

NAMES = st.sampled_from(["web", "a", "db", "web-x", "r", "c", "nginx", "app", "prod", "kube-system", "default"])
WEIRD_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8", categories=("Cc", "Cs", "Zl", "Zp", "Co")), max_size=4),
    st.sampled_from(["", " ", "~", "null", "yes", "0x1F", "1e400", "-.inf", ".nan", "0o777", "<<", "=", "a=b",
                     "a:b", "{", "}", "[", "*", "&a", "!!binary", "---", "...", "\\", "../../etc/passwd", "/dev/zero",
                     "/", ".", "..", "%", "{{", "{%", "$(VAR)", "${x}", "\ufeff", "a\0b", "\x85", "\u2028",
                     "é" * 70, "x" * 300, "9" * 5000, "-" + "1" * 400]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), NAMES, WEIRD_TEXT,
    st.integers(), st.integers(min_value=2**63 - 2, max_value=2**65),
    st.sampled_from(["9" * 5000, "-" + "1" * 400, "1" + "0" * 30, "0x" + "f" * 40]).map(lambda t: BigInt(t)),
    st.floats(allow_nan=True, allow_infinity=True),
)


def any_value(max_leaves: int = 12) -> st.SearchStrategy:
    """Maps, lists and scalars nested at random (keys of any scalar shape too)."""
    keys = st.one_of(NAMES, st.text(max_size=6), st.integers(-3, 3), st.booleans(), st.none())
    return st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                         st.dictionaries(keys, kids, max_size=4)),
                        max_leaves=max_leaves)


@st.composite
def yaml_text(draw, value: st.SearchStrategy | None = None, tame: bool = False) -> str:
    """YAML for a value, written in one of several styles; sometimes with aliases (a
    shared subtree), deep nesting, or a flow/block mix (``tame``: the value's own keys
    only, never nested past the limit)."""
    v = draw(value if value is not None else any_value())
    if draw(st.integers(0, 14)) == 0:
        # PyYAML writes a value referenced twice as &id001 / *id001
        if isinstance(v, dict) and len(v) >= 2:
            first, second = list(v)[:2]
            v = {**v, second: v[first]}
        elif not tame:
            shared = draw(any_value(4))
            v = {"x": shared, "y": shared, "z": [shared, shared], "v": v}
    nested = None
    if not tame and draw(st.integers(0, 39)) == 0:
        n = draw(st.sampled_from([100, 255, 257, 300, 2000]))
        nested = draw(st.sampled_from(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n,
                                       "".join(" " * i + "-\n" for i in range(1, n))]))
    try:
        text = yaml.dump(v, Dumper=_Dumper, default_flow_style=False if nested else draw(st.sampled_from(
                         [None, True, False])), allow_unicode=draw(st.booleans()), sort_keys=False, width=10**6)
    except (yaml.YAMLError, RecursionError, ValueError):
        text = "1\n"
    if nested:  # a key holding a deeply nested value, beside the others (or alone)
        entry = f"deep:{chr(10) if nested[0] == ' ' else ' '}{nested}\n"
        text = text + entry if isinstance(v, dict) and v else entry
    return text


# --- Kubernetes objects ----------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "b"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx:1.25",
                                                   "ports": [{"containerPort": 80, "name": "http"}],
                                                   "env": [{"name": "A", "valueFrom": {"configMapKeyRef":
                                                            {"name": "c", "key": "k"}}}],
                                                   "envFrom": [{"secretRef": {"name": "s"}}],
                                                   "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
                                   "volumes": [{"name": "v", "configMap": {"name": "c"}}]}}},
}
OBJECTS = [
    DEPLOYMENT,
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
     "stringData": {"password": "hunter2-s3cr3t"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
     "data": {"tls.crt": "YQ==", "tls.key": "YQ=="}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}},
    {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"pods": "10"}}},
    {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
              "minReplicas": 1, "maxReplicas": 5}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
     "spec": {"rules": [{"host": "a.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
              "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
     "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "widgets.example.com"},
     "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
              "versions": [{"name": "v1", "served": True, "storage": True,
                            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}},
    {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}},
    {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "in-list"}}]},
]


@st.composite
def mutated(draw, obj: Any, budget: int = 3) -> Any:
    """``obj`` with up to ``budget`` random edits: a subtree replaced by a value of any
    shape, a key removed, a key added, a list emptied."""
    import copy

    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(0, budget))):
        holder, key = None, None
        node = obj
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            holder, key = node, draw(st.sampled_from(keys))
            node = node[key]
        action = draw(st.integers(0, 3))
        if holder is None:
            if action == 0:
                obj = draw(any_value())
            continue
        if action == 0 and isinstance(holder, dict):
            del holder[key]
        elif action == 1 and isinstance(holder, dict):
            holder[draw(st.one_of(NAMES, WEIRD_TEXT))] = draw(any_value(4))
        else:
            holder[key] = draw(any_value(6))
    return obj


def k8s_object(tame: bool = False) -> st.SearchStrategy:
    return st.sampled_from(OBJECTS).flatmap(lambda o: st.one_of(st.just(o), mutated(o, 1 if tame else 3)))


@st.composite
def manifests(draw, tame: bool = False) -> str:
    """One or more objects as a multi-document YAML file."""
    docs = draw(st.lists(k8s_object(tame), min_size=1, max_size=3))
    return "---\n".join(draw(yaml_text(st.just(d), tame)) for d in docs)


# --- patches ---------------------------------------------------------------------------

JSON_POINTERS = st.one_of(
    st.sampled_from(["/spec/replicas", "/metadata/labels/x", "/spec/template/spec/containers/0/image",
                     "/spec/template/spec/containers/-", "/metadata/annotations/a~1b", "/data/k", "/", "",
                     "/spec/template/spec/containers/99", "/spec/replicas/x/y", "/metadata/name",
                     "/spec/template/spec/containers/-1", "/spec/template/spec/containers/01", "~2", "/a~",
                     "/spec/template/spec/containers/" + "9" * 30]),
    st.lists(st.one_of(NAMES, st.text(max_size=4), st.integers(-2, 5).map(str)), max_size=5)
    .map(lambda parts: "/" + "/".join(parts)),
)


@st.composite
def json6902(draw) -> str:
    ops = draw(st.lists(st.fixed_dictionaries(
        {"op": st.one_of(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]), SCALARS),
         "path": st.one_of(JSON_POINTERS, SCALARS)},
        optional={"value": any_value(6), "from": JSON_POINTERS}), max_size=4))
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return draw(yaml_text())  # anything
    return json.dumps(ops) if shape == 1 else draw(yaml_text(st.just(ops)))


@st.composite
def strategic_patch(draw) -> str:
    base = draw(st.sampled_from(OBJECTS[:4]))
    patch = draw(mutated({"apiVersion": base["apiVersion"], "kind": base["kind"],
                          "metadata": {"name": base["metadata"]["name"]},
                          **{k: v for k, v in base.items() if k not in ("apiVersion", "kind", "metadata")}}))
    if draw(st.booleans()) and isinstance(patch, dict):
        patch[draw(st.sampled_from(["$patch", "$setElementOrder/containers", "$retainKeys", "$deleteFromPrimitiveList/a"]))] \
            = draw(st.one_of(st.sampled_from(["delete", "replace", "merge"]), any_value(4)))
    return draw(yaml_text(st.just(patch)))


# --- overlay files ---------------------------------------------------------------------

TARGET = st.fixed_dictionaries({}, optional={
    "kind": st.one_of(st.sampled_from(["Deployment", "ConfigMap", "Service", "Secret"]), SCALARS),
    "name": st.one_of(NAMES, st.just("w.*"), st.just("(")), "group": st.sampled_from(["apps", "", "x"]),
    "version": st.sampled_from(["v1", "v2"]), "namespace": NAMES,
    "labelSelector": st.sampled_from(["app=web", "app in (web", "!x", "a,b", "=="]),
    "annotationSelector": st.sampled_from(["a=b", "a!=", ""])})
FILES_HERE = st.sampled_from(["d.yaml", "p.yaml", "j.yaml", "env.txt", "f.txt", "m", "missing.yaml", "../base",
                              "../comp", "../c", "/etc/hostname", "sub/../d.yaml", "*.yaml", "", "kcompile.yaml"])
GEN_SOURCES = {
    "literals": st.lists(st.one_of(st.sampled_from(["k=v", "a=", "=v", "novalue", "k=hunter2-s3cr3t", "k==",
                                                    "ke y=v", "k=\"q\"", "k='x"]), WEIRD_TEXT), max_size=3),
    "files": st.lists(st.one_of(st.sampled_from(["f.txt", "k=f.txt", "=f.txt", "k=", "m", "missing", "a=b=c"]),
                                FILES_HERE), max_size=2),
    "envs": st.lists(st.one_of(st.just("env.txt"), FILES_HERE), max_size=2),
    "envVars": st.lists(st.sampled_from(["HOME", "KCOMPILE_FUZZ_UNSET", "A=B", ""]), max_size=2),
    "behavior": st.sampled_from(["create", "merge", "replace", "nope"]),
    "type": st.sampled_from(["Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson", "x"]),
    "namespace": NAMES,
    "options": st.fixed_dictionaries({}, optional={"disableNameSuffixHash": st.booleans(),
                                                    "labels": st.dictionaries(NAMES, NAMES, max_size=2),
                                                    "immutable": st.booleans()}),
}
_PLAUSIBLE: dict[str, st.SearchStrategy] = {
    "apiVersion": st.sampled_from(["kustomize.config.k8s.io/v1beta1", "kustomize.config.k8s.io/v1alpha1", "v9"]),
    "kind": st.sampled_from(["Kustomization", "Component", "Other"]),
    "metadata": st.fixed_dictionaries({"name": NAMES}),
    "resources": st.lists(FILES_HERE, max_size=4), "bases": st.lists(FILES_HERE, max_size=2),
    "components": st.lists(st.sampled_from(["../comp", "d.yaml", "missing"]), max_size=2),
    "crds": st.lists(FILES_HERE, max_size=2), "openapi": st.fixed_dictionaries({"path": FILES_HERE}),
    "configurations": st.lists(FILES_HERE, max_size=2),
    "namespace": st.one_of(NAMES, WEIRD_TEXT), "namePrefix": st.one_of(NAMES, WEIRD_TEXT),
    "nameSuffix": st.one_of(NAMES, WEIRD_TEXT),
    "commonLabels": st.dictionaries(st.one_of(NAMES, WEIRD_TEXT), st.one_of(NAMES, SCALARS), max_size=3),
    "commonAnnotations": st.dictionaries(st.one_of(NAMES, WEIRD_TEXT), st.one_of(NAMES, SCALARS), max_size=3),
    "labels": st.lists(st.fixed_dictionaries({"pairs": st.dictionaries(NAMES, NAMES, max_size=2)},
                                             optional={"includeSelectors": st.booleans(),
                                                       "includeTemplates": st.booleans(),
                                                       "fields": st.lists(st.fixed_dictionaries(
                                                           {"path": st.sampled_from(["spec/x", "metadata/labels"])},
                                                           optional={"kind": NAMES, "create": st.booleans()}),
                                                           max_size=2)}), max_size=2),
    "images": st.lists(st.fixed_dictionaries({"name": st.one_of(st.just("nginx"), NAMES, WEIRD_TEXT)}, optional={
        "newName": st.one_of(NAMES, WEIRD_TEXT), "newTag": st.one_of(NAMES, SCALARS),
        "digest": st.sampled_from(["sha256:" + "a" * 64, "sha256:x", ""]), "tagSuffix": NAMES}), max_size=2),
    "imageTags": st.lists(st.fixed_dictionaries({"name": NAMES}, optional={"newTag": SCALARS}), max_size=1),
    "replicas": st.lists(st.fixed_dictionaries({"name": st.one_of(st.just("web"), NAMES)},
                                               optional={"count": SCALARS}), max_size=2),
    "patches": st.lists(st.fixed_dictionaries({}, optional={
        "path": st.one_of(st.sampled_from(["p.yaml", "j.yaml"]), FILES_HERE), "patch": st.one_of(WEIRD_TEXT),
        "target": TARGET, "options": st.fixed_dictionaries({}, optional={"allowNameChange": st.booleans(),
                                                                           "allowKindChange": st.booleans()})}),
        max_size=3),
    "patchesStrategicMerge": st.lists(st.one_of(st.just("p.yaml"), FILES_HERE, WEIRD_TEXT), max_size=2),
    "patchesJson6902": st.lists(st.fixed_dictionaries({"target": TARGET}, optional={
        "path": st.one_of(st.just("j.yaml"), FILES_HERE), "patch": WEIRD_TEXT}), max_size=2),
    "configMapGenerator": st.lists(st.fixed_dictionaries({"name": st.one_of(NAMES, WEIRD_TEXT)},
                                                         optional=GEN_SOURCES), max_size=2),
    "secretGenerator": st.lists(st.fixed_dictionaries({"name": st.one_of(NAMES, WEIRD_TEXT)},
                                                      optional=GEN_SOURCES), max_size=2),
    "generatorOptions": st.fixed_dictionaries({}, optional={"disableNameSuffixHash": SCALARS,
                                                             "labels": any_value(4), "annotations": any_value(4),
                                                             "immutable": SCALARS}),
    "replacements": st.lists(st.fixed_dictionaries({
        "source": st.fixed_dictionaries({"kind": st.sampled_from(["ConfigMap", "Deployment", "Nope"])},
                                        optional={"name": NAMES, "fieldPath": st.sampled_from(
                                            ["data.k", "metadata.name", "spec.template.spec.containers.[name=c].image",
                                             "spec.x.[", "a.*.b", "metadata.labels.[a=b"]),
                                                  "options": st.fixed_dictionaries({}, optional={
                                                      "delimiter": st.sampled_from([":", "", "/"]),
                                                      "index": st.integers(-3, 10**6)})}),
        "targets": st.lists(st.fixed_dictionaries({"select": TARGET}, optional={
            "fieldPaths": st.lists(st.sampled_from(["data.k", "spec.replicas", "metadata.annotations.x", "a.[x=y].b",
                                                    "spec.template.spec.containers.*.image", "x.0.y", "[", ""]),
                                   max_size=2),
            "options": st.fixed_dictionaries({}, optional={"create": st.booleans(), "index": st.integers(-2, 99)}),
            "reject": st.lists(TARGET, max_size=1)}), max_size=2)}), max_size=2),
    "vars": st.lists(st.fixed_dictionaries({"name": NAMES, "objref": st.fixed_dictionaries(
        {"kind": st.sampled_from(["Service", "Deployment"]), "name": NAMES, "apiVersion": st.sampled_from(["v1", "apps/v1"])}
    )}, optional={"fieldref": st.fixed_dictionaries({"fieldpath": st.sampled_from(
        ["metadata.name", "spec.ports[0].port", "spec.x[", "metadata.labels.app"])})}), max_size=2),
    "sortOptions": st.fixed_dictionaries({"order": st.sampled_from(["legacy", "fifo", "x"])}, optional={
        "legacySortOptions": st.fixed_dictionaries({}, optional={"orderFirst": st.lists(NAMES, max_size=2),
                                                                 "orderLast": st.lists(NAMES, max_size=2)})}),
    "buildMetadata": st.lists(st.sampled_from(["originAnnotations", "transformerAnnotations", "managedByLabel",
                                               "x"]), max_size=3),
    "charts": st.lists(st.fixed_dictionaries({"chart": st.one_of(st.just("../c"), FILES_HERE)}, optional={
        "release": st.one_of(st.just("r"), NAMES, WEIRD_TEXT), "namespace": NAMES,
        "values": st.dictionaries(NAMES, any_value(6), max_size=3),
        "valuesFiles": st.lists(st.one_of(st.just("values.yaml"), FILES_HERE), max_size=2)}), max_size=2),
    "chartValues": st.dictionaries(st.one_of(st.just("r"), NAMES), st.dictionaries(NAMES, any_value(6), max_size=3),
                                   max_size=2),
    "helmCharts": st.lists(st.fixed_dictionaries({"name": NAMES}, optional={
        "repo": st.sampled_from(["http://127.0.0.1:1/charts", "oci://127.0.0.1:1/x", "", "::"]),
        "version": st.sampled_from(["1.0.0", "x"]), "releaseName": NAMES, "valuesInline": any_value(4),
        "chartHome": FILES_HERE}), max_size=1),
    "helmGlobals": st.fixed_dictionaries({}, optional={"chartHome": FILES_HERE, "configHome": FILES_HERE}),
    "helmChartInflationGenerator": st.lists(any_value(4), max_size=1),
    "transformers": st.lists(st.one_of(FILES_HERE, st.just("apiVersion: builtin\nkind: LabelTransformer\n"
                                                           "metadata: {name: x}\nlabels: {a: b}\nfieldSpecs: "
                                                           "[{path: metadata/labels, create: true}]\n")), max_size=2),
    "generators": st.lists(FILES_HERE, max_size=1), "validators": st.lists(FILES_HERE, max_size=1),
}
assert set(_PLAUSIBLE) == SUPPORTED_FIELDS, set(_PLAUSIBLE) ^ SUPPORTED_FIELDS  # every real field is generated


@st.composite
def overlay_text(draw, tame: bool = False) -> str:
    """An overlay file: real field names (sometimes one misspelled or differently
    cased), each with a well-shaped value or a value of any shape (``tame``: always
    well-shaped, no helm binary needed, so that a build gets further)."""
    fields = sorted(SUPPORTED_FIELDS - (_NEEDS_HELM if tame else set()))
    names = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=6, unique=True))
    data: dict[Any, Any] = {}
    for name in names:
        junk = not tame and draw(st.integers(0, 9)) == 0
        data[name] = draw(any_value(6) if junk else _PLAUSIBLE[name])
    if not tame and draw(st.integers(0, 15)) == 0:
        data[draw(st.sampled_from(["resource", "Resources", "PATCHES", "namePrefixx"]))] = ["d.yaml"]
    if "resources" not in data and draw(st.booleans()):
        data["resources"] = ["d.yaml"]
    return draw(yaml_text(st.just(data), tame))


_NEEDS_HELM = {"helmCharts", "helmGlobals", "helmChartInflationGenerator", "apiVersion", "kind", "metadata"}


# --- charts ----------------------------------------------------------------------------

_EXPRS = ["values.x", "values.l", "values.m", "values", "release.name", "release.namespace", "chart.name",
          "chart.version", "capabilities.kube_version", "capabilities.api_versions", "values.m.a", "values.nope",
          "template.name", "1", "'s'", "[1, 2]", "{'a': 1}", "none", "range(3)", "values.x ~ values.x",
          "values.l[0]", "values.l[99]", "values.x * 3", "values.x // 0", "(values.x | int) + 1", "lookup('v1')",
          "checksum('cm.yaml.j2')", "'%s' % values.x", "'{}'.format(values.x)", "values['m']['a']"]
_FILTER_NAMES = sorted(FILTERS) + ["upper", "lower", "replace", "join", "indent", "format", "int", "float", "first",
                                   "last", "length", "tojson", "sort", "dictsort", "batch", "center", "wordwrap",
                                   "truncate", "sum", "unique", "list", "string", "trim", "title", "items", "map",
                                   "selectattr", "reject", "default", "to_yaml_block", "safe", "e", "abs", "round"]
FILTER_ARGS = st.one_of(SCALARS, st.sampled_from(["'a'", "2", "'-'", "4", "true", "values.x", "'attribute'"]))


@st.composite
def jinja_expr(draw) -> str:
    expr = draw(st.sampled_from(_EXPRS))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(_FILTER_NAMES))
        args = draw(st.lists(FILTER_ARGS, max_size=2))
        shown = ", ".join(a if isinstance(a, str) and a[:1] in "'0123456789tv" else json.dumps(a, default=str)
                          for a in args)
        expr = f"{expr} | {name}({shown})" if args or draw(st.booleans()) else f"{expr} | {name}"
    if draw(st.integers(0, 6)) == 0:
        expr = f"{draw(st.sampled_from(sorted(GLOBALS)))}({expr})"
    return expr


@st.composite
def jinja_template(draw) -> str:
    """A chart template: a ConfigMap whose data lines come from expressions, tags and
    raw text, sometimes broken (an unclosed tag, a stray ``{%``)."""
    body = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 9))
        e = draw(jinja_expr())
        if kind <= 3:
            body.append(f"  k{len(body)}: {{{{ {e} }}}}")
        elif kind == 4:
            body.append(f"{{% for i in {e} %}}\n  f{{{{ loop.index }}}}: {{{{ i | quote }}}}\n{{% endfor %}}")
        elif kind == 5:
            body.append(f"{{% if {e} %}}\n  i{len(body)}: yes\n{{% else %}}\n  i{len(body)}: no\n{{% endif %}}")
        elif kind == 6:
            body.append(f"{{% set v = {e} %}}\n  s{len(body)}: {{{{ v | to_json }}}}")
        elif kind == 7:
            body.append(f"{{% macro m(a) %}}{{{{ a }}}}{{% endmacro %}}\n  m{len(body)}: {{{{ m({e}) }}}}")
        elif kind == 8:
            body.append(draw(st.sampled_from(["{% include '_h.j2' %}", "{% import '_h.j2' as h %}{{ h.x() }}",
                                              "{{ fail('no') }}", "{{ tpl(values.t, values) }}", "{%", "{{ }}",
                                              "{% endfor %}", "{{ values.x", "{# c", "{% raw %}{{{% endraw %}",
                                              "  y: {{ values | to_yaml_block }}", "{% extends '_h.j2' %}"])))
        else:
            body.append(draw(st.text(max_size=20)))
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}\ndata:\n"
    return (head if draw(st.integers(0, 5)) else "") + "\n".join(body) + "\n"


CHART_VALUES = st.fixed_dictionaries({"x": SCALARS, "l": st.lists(SCALARS, max_size=3),
                                      "m": st.dictionaries(NAMES, SCALARS, max_size=2)},
                                     optional={"t": st.sampled_from(["{{ values.x }}", "{{", "{% for %}"])})
SCHEMAS = st.one_of(
    st.just({"type": "object", "properties": {"x": {"type": "integer"}, "l": {"type": "array"}}}),
    st.just({"$ref": "#/definitions/a", "definitions": {"a": {"type": "object"}}}),
    st.just({"$ref": "other.json"}), st.just({"$ref": "http://127.0.0.1:1/s.json"}), st.just({"$ref": "#/nope"}),
    st.just({"properties": {"x": {"pattern": "("}}}), st.just({"type": 5}),
    st.fixed_dictionaries({}, optional={"type": SCALARS, "required": any_value(3), "properties": any_value(5),
                                        "additionalProperties": any_value(2), "$schema": WEIRD_TEXT,
                                        "maximum": SCALARS, "enum": any_value(3), "format": WEIRD_TEXT}),
)


@st.composite
def chart_files(draw) -> dict[str, str]:
    meta = draw(st.one_of(st.just({"name": "c", "version": "1.0.0"}),
                          mutated({"name": "c", "version": "1.0.0", "appVersion": "2",
                                   "dependencies": [{"name": "sub", "condition": "sub.enabled"}]})))
    files = {"c/Chart.yaml": draw(yaml_text(st.just(meta))),
             "c/values.yaml": draw(st.one_of(yaml_text(CHART_VALUES), yaml_text())),
             "c/templates/cm.yaml.j2": draw(jinja_template()),
             "c/templates/_h.j2": "{% macro x() %}h{% endmacro %}\n"}
    if draw(st.booleans()):
        files["c/values.schema.json"] = draw(st.one_of(SCHEMAS.map(lambda s: json.dumps(s, default=str)),
                                                       st.text(max_size=20)))
    if draw(st.integers(0, 3)) == 0:
        files["c/charts/sub/Chart.yaml"] = "name: sub\nversion: 0.1.0\n"
        files["c/charts/sub/templates/s.yaml.j2"] = draw(jinja_template())
    return files


# --- whole trees -----------------------------------------------------------------------

ENV_LINES = st.lists(st.one_of(st.sampled_from(["A=1", "B=", "=x", "# c", "", "C", "export D=1", "E=hunter2-s3cr3t",
                                                "F='q'", "G=\"a b\"", "H=a=b", " I = 2"]), WEIRD_TEXT), max_size=5)


@st.composite
def trees(draw, overlays: int = 1) -> dict[str, str | bytes]:
    """A repository: ``ov`` (and ``ov1``... with ``overlays`` > 1) with generated overlay
    files beside manifests, patches, generator files; a base, a component and a chart."""
    tame = draw(st.booleans())  # half the trees well-shaped throughout, to get past the first check
    files: dict[str, str | bytes] = {
        "base/kustomization.yaml": "resources: [d.yaml]\n",
        "base/d.yaml": draw(manifests(tame)),
        "comp/kcompile.yaml": draw(st.one_of(
            st.just("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {x: y}\n"),
            overlay_text(tame))),
    }
    files.update(draw(chart_files()))
    for i in range(overlays):
        d = "ov" if i == 0 else f"ov{i}"
        name = draw(st.sampled_from(["kcompile.yaml", "kcompile.yaml", "kustomization.yaml", "Kustomization"]))
        files[f"{d}/{name}"] = draw(overlay_text(tame))
        files[f"{d}/d.yaml"] = draw(manifests(tame))
        files[f"{d}/p.yaml"] = draw(strategic_patch())
        files[f"{d}/j.yaml"] = draw(json6902())
        files[f"{d}/env.txt"] = "\n".join(draw(ENV_LINES)) + "\n"
        files[f"{d}/f.txt"] = draw(st.one_of(st.text(max_size=30), st.binary(max_size=30)))
        files[f"{d}/m/a.yaml"] = draw(manifests(tame))
        files[f"{d}/values.yaml"] = draw(yaml_text(CHART_VALUES))
    if not tame and draw(st.integers(0, 4)) == 0:
        # raw bytes over one of the files
        path = draw(st.sampled_from(sorted(files)))
        original = files[path] if isinstance(files[path], bytes) else str(files[path]).encode()
        files[path] = draw(byte_soup(original))
    return files


@st.composite
def byte_soup(draw, original: bytes = b"") -> bytes:
    """Bytes: random, or ``original`` with bytes flipped, inserted or cut."""
    if not original or draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=200))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.integers(0, 2))
        if how == 0:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif how == 1 and at < len(data):
            data[at] = draw(st.integers(0, 255))
        else:
            del data[at:at + draw(st.integers(1, 20))]
    return bytes(data)
