"""Field specs: which fields of which kinds hold names, labels, annotations, images.

Data, not code: each transformer reads its table from here, as Kustomize's builtin
field-spec configuration does. A spec is ``(group, version, kind, path, create)``; an
empty group/version/kind is a wildcard; ``path`` is a list of field names (lists along
the way are walked element by element); ``create`` says whether missing maps/fields
are created.

Kept in Python (not YAML) so loading costs nothing at start-up.
"""

from __future__ import annotations

from typing import NamedTuple


class FieldSpec(NamedTuple):
    group: str
    version: str
    kind: str
    path: tuple[str, ...]
    create: bool = False
    lists: frozenset[int] = frozenset()  # positions in ``path`` written 'name[]': never created


    def selects(self, group: str, version: str, kind: str) -> bool:
        return (
            (not self.group or self.group == group)
            and (not self.version or self.version == version)
            and (not self.kind or self.kind == kind)
        )


def _p(path: str) -> tuple[str, ...]:
    """'a/b[]/c' -> ('a', 'b', 'c'); '\\/' escapes a slash inside a key."""
    parts = path.replace("\\/", "\x00").split("/")
    return tuple(p.replace("[]", "").replace("\x00", "/") for p in parts)


def fs(path: str, kind: str = "", group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    lists = frozenset(i for i, part in enumerate(path.split("/")) if part.endswith("[]")) if "[]" in path else frozenset()
    return FieldSpec(group, version, kind, _p(path), create, lists)


# Kinds whose objects carry a pod template, and where its pod spec is.
POD_SPEC_PATHS: dict[str, str] = {
    "Pod": "spec",
    "PodTemplate": "template/spec",
    "Deployment": "spec/template/spec",
    "ReplicaSet": "spec/template/spec",
    "ReplicationController": "spec/template/spec",
    "DaemonSet": "spec/template/spec",
    "StatefulSet": "spec/template/spec",
    "Job": "spec/template/spec",
    "CronJob": "spec/jobTemplate/spec/template/spec",
}
WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job", "CronJob")

# -- labels and annotations ----------------------------------------------------------------

METADATA_LABELS = [fs("metadata/labels", create=True)]

TEMPLATE_LABELS = [
    fs("spec/template/metadata/labels", "ReplicationController", version="v1", create=True),
    fs("spec/template/metadata/labels", "Deployment", create=True),
    fs("spec/template/metadata/labels", "ReplicaSet", create=True),
    fs("spec/template/metadata/labels", "DaemonSet", create=True),
    fs("spec/template/metadata/labels", "StatefulSet", group="apps", create=True),
    fs("spec/template/metadata/labels", "Job", group="batch", create=True),
    fs("spec/jobTemplate/metadata/labels", "CronJob", group="batch", create=True),
    fs("spec/jobTemplate/spec/template/metadata/labels", "CronJob", group="batch", create=True),
]

VOLUME_CLAIM_TEMPLATE_LABELS = [
    fs("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", group="apps", create=True),
]

_AFFINITY_SELECTORS = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
]

SELECTOR_LABELS = [
    fs("spec/selector", "Service", version="v1", create=True),
    fs("spec/selector", "ReplicationController", version="v1", create=True),
    fs("spec/selector/matchLabels", "Deployment", create=True),
    *[fs(p, "Deployment", group="apps") for p in _AFFINITY_SELECTORS],
    fs("spec/selector/matchLabels", "ReplicaSet", create=True),
    fs("spec/selector/matchLabels", "DaemonSet", create=True),
    fs("spec/selector/matchLabels", "StatefulSet", group="apps", create=True),
    *[fs(p, "StatefulSet", group="apps") for p in _AFFINITY_SELECTORS],
    fs("spec/selector/matchLabels", "Job", group="batch"),
    fs("spec/jobTemplate/spec/selector/matchLabels", "CronJob", group="batch"),
    fs("spec/selector/matchLabels", "PodDisruptionBudget", group="policy"),
    fs("spec/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
    fs("spec/ingress/from/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
    fs("spec/egress/to/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
]

# commonLabels (and labels with includeSelectors): selectors, metadata, templates.
COMMON_LABELS = SELECTOR_LABELS + METADATA_LABELS + TEMPLATE_LABELS + VOLUME_CLAIM_TEMPLATE_LABELS

COMMON_ANNOTATIONS = [
    fs("metadata/annotations", create=True),
    fs("spec/template/metadata/annotations", "ReplicationController", version="v1", create=True),
    fs("spec/template/metadata/annotations", "Deployment", create=True),
    fs("spec/template/metadata/annotations", "ReplicaSet", create=True),
    fs("spec/template/metadata/annotations", "DaemonSet", create=True),
    fs("spec/template/metadata/annotations", "StatefulSet", create=True),
    fs("spec/template/metadata/annotations", "Job", group="batch", create=True),
    fs("spec/jobTemplate/metadata/annotations", "CronJob", group="batch", create=True),
    fs("spec/jobTemplate/spec/template/metadata/annotations", "CronJob", group="batch", create=True),
]

# -- images, replicas, namespace ---------------------------------------------------------------

IMAGES = [
    fs("spec/containers[]/image", create=True),
    fs("spec/initContainers[]/image", create=True),
    fs("spec/volumes[]/image/reference", create=True),
    fs("spec/template/spec/containers[]/image", create=True),
    fs("spec/template/spec/initContainers[]/image", create=True),
    fs("spec/template/spec/volumes[]/image/reference", create=True),
]

REPLICAS = [
    fs("spec/replicas", "Deployment", create=True),
    fs("spec/replicas", "ReplicationController", create=True),
    fs("spec/replicas", "ReplicaSet", create=True),
    fs("spec/replicas", "StatefulSet", create=True),
]

# Besides metadata.namespace of every namespaced object.
NAMESPACE = [
    fs("metadata/name", "Namespace", create=True),
    fs("spec/service/namespace", "APIService", group="apiregistration.k8s.io", create=True),
    fs("spec/conversion/webhook/clientConfig/service/namespace", "CustomResourceDefinition", group="apiextensions.k8s.io"),
]

# Where vars' $(VAR) references are substituted (Kustomize's default varReference).
_CONTAINER_VAR_FIELDS = ("args", "command", "env/value", "volumeMounts/mountPath")
VAR_REFERENCE = [
    *[fs(f"spec/jobTemplate/spec/template/spec/{c}/{f}", "CronJob")
      for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
    fs("spec/jobTemplate/spec/template/volumes/nfs/server", "CronJob"),
    *[spec for kind in ("DaemonSet", "Deployment") for spec in (
        *[fs(f"spec/template/spec/{c}/{f}", kind) for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
        fs("spec/template/spec/volumes/nfs/server", kind),
    )],
    fs("spec/template/metadata/annotations", "Deployment"),
    fs("spec/rules/host", "Ingress"),
    fs("spec/tls/hosts", "Ingress"),
    fs("spec/tls/secretName", "Ingress"),
    *[fs(f"spec/template/spec/{c}/{f}", "Job") for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
    fs("spec/template/spec/volumes/nfs/server", "Job"),
    *[fs(f"spec/{c}/{f}", "Pod") for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
    fs("spec/volumes/nfs/server", "Pod"),
    *[fs(f"spec/template/spec/{c}/{f}", "ReplicaSet") for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
    fs("spec/template/spec/volumes/nfs/server", "ReplicaSet"),
    fs("spec/ports/port", "Service"),
    fs("spec/ports/targetPort", "Service"),
    *[fs(f"spec/template/spec/{c}/{f}", "StatefulSet") for c in ("containers", "initContainers") for f in _CONTAINER_VAR_FIELDS],
    fs("spec/volumeClaimTemplates/spec/nfs/server", "StatefulSet"),
    fs("spec/nfs/server", "PersistentVolume"),
    fs("metadata/labels"),
    fs("metadata/annotations"),
]

# Kinds that never get a prefix/suffix.
PREFIX_SKIP = [
    FieldSpec("", "", "CustomResourceDefinition", ()),
    FieldSpec("apiregistration.k8s.io", "", "APIService", ()),
    FieldSpec("", "", "Namespace", ()),
]

# -- name references ------------------------------------------------------------------------------
# For each referred-to kind: the fields (in referrer kinds) holding its name.


class NameRef(NamedTuple):
    target_group: str
    target_version: str
    target_kind: str
    referrers: tuple[FieldSpec, ...]


def _pod_refs(fields: list[str], kinds: tuple[str, ...] = tuple(POD_SPEC_PATHS)) -> list[FieldSpec]:
    out = []
    for kind in kinds:
        prefix = POD_SPEC_PATHS[kind]
        for f in fields:
            out.append(fs(f"{prefix}/{f}", kind, version="v1" if kind == "Pod" else ""))
    return out


_CONTAINER_LISTS = ("containers", "initContainers")


def _container_refs(*suffixes: str) -> list[str]:
    return [f"{c}/{s}" for c in _CONTAINER_LISTS for s in suffixes]


NAME_REFERENCES: list[NameRef] = [
    *[
        NameRef("", "", scaled, (fs("spec/scaleTargetRef/name", "HorizontalPodAutoscaler"),))
        for scaled in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")
    ],
    NameRef("", "v1", "ConfigMap", tuple(
        _pod_refs([
            "volumes/configMap/name",
            *_container_refs("env/valueFrom/configMapKeyRef/name", "envFrom/configMapRef/name"),
            "volumes/projected/sources/configMap/name",
        ])
        + [
            fs("spec/configSource/configMap", "Node"),
            fs("rules/resourceNames", "Role"),
            fs("rules/resourceNames", "ClusterRole"),
            fs("metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap", "Ingress"),
        ]
    )),
    NameRef("", "v1", "Secret", tuple(
        _pod_refs([
            "volumes/secret/secretName",
            *_container_refs("env/valueFrom/secretKeyRef/name", "envFrom/secretRef/name"),
            "imagePullSecrets/name",
            "volumes/projected/sources/secret/name",
        ])
        + [
            fs("spec/tls/secretName", "Ingress"),
            fs("metadata/annotations/ingress.kubernetes.io\\/auth-secret", "Ingress"),
            fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", "Ingress"),
            fs("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", "Ingress"),
            fs("imagePullSecrets/name", "ServiceAccount"),
            fs("parameters/secretName", "StorageClass"),
            fs("parameters/adminSecretName", "StorageClass"),
            fs("parameters/userSecretName", "StorageClass"),
            fs("parameters/secretRef", "StorageClass"),
            fs("rules/resourceNames", "Role"),
            fs("rules/resourceNames", "ClusterRole"),
            fs("spec/template/spec/containers/env/valueFrom/secretKeyRef/name", "Service", group="serving.knative.dev", version="v1"),
            fs("spec/azureFile/secretName", "PersistentVolume"),
        ]
    )),
    NameRef("", "v1", "Service", (
        fs("spec/serviceName", "StatefulSet", group="apps"),
        fs("spec/rules/http/paths/backend/serviceName", "Ingress"),
        fs("spec/backend/serviceName", "Ingress"),
        fs("spec/rules/http/paths/backend/service/name", "Ingress"),
        fs("spec/defaultBackend/service/name", "Ingress"),
        fs("spec/service/name", "APIService", group="apiregistration.k8s.io"),
        fs("webhooks/clientConfig/service", "ValidatingWebhookConfiguration", group="admissionregistration.k8s.io"),
        fs("webhooks/clientConfig/service", "MutatingWebhookConfiguration", group="admissionregistration.k8s.io"),
    )),
    NameRef("rbac.authorization.k8s.io", "", "Role", (
        fs("roleRef/name", "RoleBinding", group="rbac.authorization.k8s.io"),
    )),
    NameRef("rbac.authorization.k8s.io", "", "ClusterRole", (
        fs("roleRef/name", "RoleBinding", group="rbac.authorization.k8s.io"),
        fs("roleRef/name", "ClusterRoleBinding", group="rbac.authorization.k8s.io"),
    )),
    NameRef("", "v1", "ServiceAccount", tuple(
        [
            fs("subjects", "RoleBinding", group="rbac.authorization.k8s.io"),
            fs("subjects", "ClusterRoleBinding", group="rbac.authorization.k8s.io"),
        ]
        + _pod_refs(["serviceAccountName"])
    )),
    NameRef("", "v1", "PersistentVolumeClaim", tuple(
        _pod_refs(["volumes/persistentVolumeClaim/claimName"])
    )),
    NameRef("", "v1", "PersistentVolume", (
        fs("spec/volumeName", "PersistentVolumeClaim"),
        fs("rules/resourceNames", "ClusterRole"),
    )),
    NameRef("storage.k8s.io", "v1", "StorageClass", (
        fs("spec/storageClassName", "PersistentVolume"),
        fs("spec/storageClassName", "PersistentVolumeClaim"),
        fs("spec/volumeClaimTemplates/spec/storageClassName", "StatefulSet"),
    )),
    NameRef("scheduling.k8s.io", "v1", "PriorityClass", tuple(_pod_refs(["priorityClassName"]))),
    NameRef("networking.k8s.io", "", "IngressClass", (fs("spec/ingressClassName", "Ingress"),)),
    NameRef("admissionregistration.k8s.io", "", "ValidatingAdmissionPolicy", (
        fs("spec/policyName", "ValidatingAdmissionPolicyBinding", group="admissionregistration.k8s.io"),
    )),
]

# -- scope ----------------------------------------------------------------------------------------
# Built-in kinds that are cluster-scoped, by (group, kind). Other kinds are namespaced.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    [("", k) for k in ("Namespace", "Node", "PersistentVolume", "ComponentStatus")]
    + [("rbac.authorization.k8s.io", k) for k in ("ClusterRole", "ClusterRoleBinding")]
    + [("storage.k8s.io", k) for k in ("StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass")]
    + [("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService")]
    + [("scheduling.k8s.io", "PriorityClass"), ("node.k8s.io", "RuntimeClass")]
    + [("networking.k8s.io", k) for k in ("IngressClass", "IPAddress", "ServiceCIDR")]
    + [("admissionregistration.k8s.io", k) for k in (
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    )]
    + [("policy", "PodSecurityPolicy"), ("extensions", "PodSecurityPolicy")]
    + [("certificates.k8s.io", k) for k in ("CertificateSigningRequest", "ClusterTrustBundle")]
    + [("flowcontrol.apiserver.k8s.io", k) for k in ("FlowSchema", "PriorityLevelConfiguration")]
    + [("resource.k8s.io", k) for k in ("DeviceClass", "ResourceSlice")]
    + [("authentication.k8s.io", k) for k in ("TokenReview", "SelfSubjectReview")]
    + [("authorization.k8s.io", k) for k in ("SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")]
    + [("internal.apiserver.k8s.io", "StorageVersion"), ("storagemigration.k8s.io", "StorageVersionMigration")]
)


# Cluster-scoped kinds newer than the schema Kustomize v5.8 embeds: its namespace
# transformer sets metadata.namespace on them, and so does kcompile's, so the output is
# Kustomize's. The API server ignores a namespace on a cluster-scoped object; ids, name
# references and patch matching still treat these kinds as cluster-scoped.
NAMESPACE_SET_BY_KUSTOMIZE: frozenset[tuple[str, str]] = frozenset(
    [("admissionregistration.k8s.io", k) for k in (
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    )]
    + [("certificates.k8s.io", "ClusterTrustBundle")]
    + [("flowcontrol.apiserver.k8s.io", k) for k in ("FlowSchema", "PriorityLevelConfiguration")]
    + [("networking.k8s.io", k) for k in ("IPAddress", "ServiceCIDR")]
    + [("resource.k8s.io", k) for k in ("DeviceClass", "ResourceSlice")]
    + [("storage.k8s.io", "VolumeAttributesClass")]
    + [("internal.apiserver.k8s.io", "StorageVersion"), ("storagemigration.k8s.io", "StorageVersionMigration")]
    + [("authentication.k8s.io", k) for k in ("TokenReview", "SelfSubjectReview")]
    + [("authorization.k8s.io", k) for k in ("SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")]
)


def is_cluster_scoped(group: str, kind: str) -> bool:
    return (group, kind) in CLUSTER_SCOPED
