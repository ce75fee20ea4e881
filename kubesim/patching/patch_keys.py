"""The list and map strategies of built-in kinds, shared by strategic merge patch and server-side apply.

Each field of a built-in type carries two views of the same Go struct tags:
  - strategic merge patch: `patchMergeKey` and `patchStrategy` (merge or replace);
  - server-side apply (structured-merge-diff): `listType` (atomic, map, set), `listMapKey`s (with
    defaults for absent keys, like a container port's protocol TCP) and atomic structs/maps.
Fields not listed behave as the real server's default: maps merge key by key, lists are replaced
(atomic). Custom resources only get the ObjectMeta rules (CRD list types are not modelled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ResourceLike(Protocol):
    """What these modules need of kubesim.resources.ResourceType."""

    @property
    def group(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def api_version(self) -> str: ...

    @property
    def subresources(self) -> frozenset[str]: ...


Node = Mapping[str, "FieldSchema"]


@dataclass(frozen=True, slots=True)
class FieldSchema:
    """How one field merges: `node` describes a struct value or the items of a list."""

    node: Node = field(default_factory=dict)
    list_type: str = "atomic"  # SSA: atomic | map | set
    keys: tuple[str, ...] = ()  # SSA listMapKeys
    key_defaults: Mapping[str, Any] = field(default_factory=dict)
    atomic: bool = False  # SSA: struct or map owned and replaced as a whole
    merge_key: str = ""  # SMP patchMergeKey
    strategy: str = ""  # SMP patchStrategy for lists: "merge" or "" (replace)


DEFAULT = FieldSchema()
ATOMIC = FieldSchema(atomic=True)
SET = FieldSchema(list_type="set", strategy="merge")


def struct(**fields: FieldSchema) -> FieldSchema:
    return FieldSchema(node=fields)


def keyed(
    node: Node,
    *keys: str,
    merge_key: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    smp: bool = True,
) -> FieldSchema:
    """An associative list (listType=map); with `smp` also merged by key in strategic merge patch."""
    return FieldSchema(
        node=node,
        list_type="map",
        keys=keys,
        key_defaults=defaults or {},
        merge_key=(merge_key or keys[0]) if smp else "",
        strategy="merge" if smp else "",
    )


CONDITIONS = keyed({}, "type")
META: Node = {
    "finalizers": SET,
    "ownerReferences": keyed({}, "uid"),
}
META_FIELD = FieldSchema(node=META)
LABEL_SELECTOR = ATOMIC
ENV_VAR: Node = {
    "valueFrom": struct(configMapKeyRef=ATOMIC, secretKeyRef=ATOMIC, fieldRef=ATOMIC, resourceFieldRef=ATOMIC)
}
CONTAINER: Node = {
    "ports": keyed({}, "containerPort", "protocol", defaults={"protocol": "TCP"}),
    "env": keyed(ENV_VAR, "name"),
    "volumeMounts": keyed({}, "mountPath"),
    "volumeDevices": keyed({}, "devicePath"),
    "resources": struct(claims=keyed({}, "name", smp=False)),
}
CONTAINERS = keyed(CONTAINER, "name")
POD_SPEC: Node = {
    "containers": CONTAINERS,
    "initContainers": CONTAINERS,
    "ephemeralContainers": CONTAINERS,
    "volumes": keyed({}, "name"),
    "imagePullSecrets": keyed({}, "name"),
    "hostAliases": keyed({}, "ip"),
    "topologySpreadConstraints": keyed({}, "topologyKey", "whenUnsatisfiable", merge_key="topologyKey"),
    "resourceClaims": keyed({}, "name"),
    "schedulingGates": keyed({}, "name"),
    "nodeSelector": ATOMIC,
    "affinity": struct(nodeAffinity=struct(requiredDuringSchedulingIgnoredDuringExecution=ATOMIC)),
}
POD_TEMPLATE = struct(metadata=META_FIELD, spec=FieldSchema(node=POD_SPEC))
STATUS_WITH_CONDITIONS = struct(conditions=CONDITIONS)


def _workload(**spec_extra: FieldSchema) -> Node:
    spec: dict[str, FieldSchema] = {"selector": LABEL_SELECTOR, "template": POD_TEMPLATE}
    spec.update(spec_extra)
    return {"spec": FieldSchema(node=spec), "status": STATUS_WITH_CONDITIONS}


JOB_SPEC: Node = {"selector": LABEL_SELECTOR, "template": POD_TEMPLATE}
# Job conditions merge by type in strategic merge patch but are atomic for server-side apply.
JOB_CONDITIONS = FieldSchema(merge_key="type", strategy="merge")

_KINDS: dict[tuple[str, str], Node] = {
    ("", "Pod"): {"spec": FieldSchema(node=POD_SPEC), "status": STATUS_WITH_CONDITIONS},
    ("", "PodTemplate"): {"template": POD_TEMPLATE},
    ("", "ReplicationController"): {
        "spec": struct(template=POD_TEMPLATE, selector=ATOMIC),
        "status": STATUS_WITH_CONDITIONS,
    },
    ("", "Service"): {
        "spec": struct(
            ports=keyed({}, "port", "protocol", defaults={"protocol": "TCP"}),
            selector=ATOMIC,
        ),
        "status": STATUS_WITH_CONDITIONS,
    },
    ("", "Namespace"): {"status": STATUS_WITH_CONDITIONS},
    ("", "PersistentVolumeClaim"): {
        "spec": struct(selector=LABEL_SELECTOR),
        "status": STATUS_WITH_CONDITIONS,
    },
    ("", "PersistentVolume"): {"spec": struct(claimRef=ATOMIC)},
    ("apps", "Deployment"): _workload(),
    ("apps", "ReplicaSet"): _workload(),
    ("apps", "DaemonSet"): _workload(),
    ("apps", "StatefulSet"): _workload(),
    ("batch", "Job"): {
        "spec": FieldSchema(node=JOB_SPEC),
        "status": struct(conditions=JOB_CONDITIONS),
    },
    ("batch", "CronJob"): {
        "spec": struct(jobTemplate=struct(metadata=META_FIELD, spec=FieldSchema(node=JOB_SPEC)))
    },
    ("networking.k8s.io", "NetworkPolicy"): {"spec": struct(podSelector=LABEL_SELECTOR)},
    ("policy", "PodDisruptionBudget"): {
        "spec": struct(selector=LABEL_SELECTOR),
        "status": STATUS_WITH_CONDITIONS,
    },
    ("autoscaling", "HorizontalPodAutoscaler"): {"status": STATUS_WITH_CONDITIONS},
    ("apiextensions.k8s.io", "CustomResourceDefinition"): {"status": STATUS_WITH_CONDITIONS},
    ("apiregistration.k8s.io", "APIService"): {"status": STATUS_WITH_CONDITIONS},
}

BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
        "storage.k8s.io",
        "coordination.k8s.io",
        "apiregistration.k8s.io",
        "admissionregistration.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
    }
)

_ROOTS: dict[tuple[str, str], FieldSchema] = {}
_GENERIC_ROOT = struct(metadata=META_FIELD)


def root_schema(rt: ResourceLike) -> FieldSchema:
    """The schema of a whole object of this kind (cached per group and kind)."""
    key = (rt.group, rt.kind)
    found = _ROOTS.get(key)
    if found is None:
        node = _KINDS.get(key)
        if node is None or getattr(rt, "custom", False):
            found = _GENERIC_ROOT
        else:
            found = FieldSchema(node={"metadata": META_FIELD, **node})
        _ROOTS[key] = found
    return found


def supports_strategic(rt: ResourceLike) -> bool:
    """Strategic merge patch needs Go struct tags: the real server answers 415 for custom resources."""
    if getattr(rt, "custom", False):
        return False
    return rt.group in BUILTIN_GROUPS


def child(schema: FieldSchema, name: str) -> FieldSchema:
    return schema.node.get(name, DEFAULT)
