"""Resource types: what kube-apiserver serves (built-ins and CRD-defined), and the registry to look them up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kubesim.errors import ApiError

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True)
class ResourceType:
    """One served resource (group, version, plural) with its discovery facts."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = field(default_factory=frozenset)
    list_kind: str = ""
    custom: bool = False  # defined by a CustomResourceDefinition
    # the object kept when the resource is deleted immediately (else a Status Success answer)
    returns_deleted_object: bool = False
    # extra field selectors the real server supports for this kind (beyond metadata.name/namespace)
    field_labels: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored once per (group, plural), whatever version serves them."""
        return (self.group, self.plural)

    @property
    def resource(self) -> str:
        """`plural.group` as error messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def with_list_kind(self) -> ResourceType:
        if self.list_kind:
            return self
        return _replace(self, list_kind=self.kind + "List")


def _replace(rt: ResourceType, **changes: object) -> ResourceType:
    from dataclasses import replace

    return replace(rt, **changes)  # type: ignore[arg-type]


def _rt(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    *,
    short: Iterable[str] = (),
    cats: Iterable[str] = (),
    subs: Iterable[str] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    returns_deleted: bool = False,
    fields: Iterable[str] = (),
) -> ResourceType:
    return ResourceType(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        verbs=verbs,
        short_names=tuple(short),
        categories=tuple(cats),
        subresources=frozenset(subs),
        list_kind=kind + "List",
        returns_deleted_object=returns_deleted,
        field_labels=tuple(fields),
    )


_NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
_ALL = ("all",)
_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
)
_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)

BUILTINS: tuple[ResourceType, ...] = (
    _rt(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        short=["ns"],
        subs=["status", "finalize"],
        verbs=_NS_VERBS,
        returns_deleted=True,
        fields=("status.phase",),
    ),
    _rt("", "v1", "ConfigMap", "configmaps", short=["cm"]),
    _rt("", "v1", "Secret", "secrets", fields=("type",)),
    _rt(
        "",
        "v1",
        "Service",
        "services",
        short=["svc"],
        cats=_ALL,
        subs=["status"],
        returns_deleted=True,
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _rt("", "v1", "ServiceAccount", "serviceaccounts", short=["sa"]),
    _rt(
        "",
        "v1",
        "Pod",
        "pods",
        short=["po"],
        cats=_ALL,
        subs=["status"],
        returns_deleted=True,
        fields=_POD_FIELDS,
    ),
    _rt("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=["pvc"], subs=["status"]),
    _rt("", "v1", "PersistentVolume", "persistentvolumes", False, short=["pv"], subs=["status"]),
    _rt("", "v1", "Endpoints", "endpoints", short=["ep"]),
    _rt("", "v1", "Event", "events", short=["ev"], fields=_EVENT_FIELDS),
    _rt("", "v1", "LimitRange", "limitranges", short=["limits"]),
    _rt("", "v1", "ResourceQuota", "resourcequotas", short=["quota"], subs=["status"]),
    _rt("", "v1", "Node", "nodes", False, short=["no"], subs=["status"]),
    _rt(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        short=["rc"],
        cats=_ALL,
        subs=["status", "scale"],
    ),
    _rt("apps", "v1", "Deployment", "deployments", short=["deploy"], cats=_ALL, subs=["status", "scale"]),
    _rt("apps", "v1", "StatefulSet", "statefulsets", short=["sts"], cats=_ALL, subs=["status", "scale"]),
    _rt("apps", "v1", "DaemonSet", "daemonsets", short=["ds"], cats=_ALL, subs=["status"]),
    _rt(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        short=["rs"],
        cats=_ALL,
        subs=["status", "scale"],
        fields=("status.replicas",),
    ),
    _rt("apps", "v1", "ControllerRevision", "controllerrevisions"),
    _rt("batch", "v1", "Job", "jobs", cats=_ALL, subs=["status"], fields=("status.successful",)),
    _rt("batch", "v1", "CronJob", "cronjobs", short=["cj"], cats=_ALL, subs=["status"]),
    _rt("networking.k8s.io", "v1", "Ingress", "ingresses", short=["ing"], subs=["status"]),
    _rt("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _rt("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=["netpol"]),
    _rt("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _rt("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _rt("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _rt("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _rt(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short=["crd", "crds"],
        cats=["api-extensions"],
        subs=["status"],
    ),
    _rt("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=["pdb"], subs=["status"]),
    _rt(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        short=["hpa"],
        cats=_ALL,
        subs=["status"],
    ),
    _rt("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, short=["sc"]),
    _rt("coordination.k8s.io", "v1", "Lease", "leases"),
    _rt(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        False,
        cats=["api-extensions"],
        subs=["status"],
    ),
    _rt("", "v1", "PodTemplate", "podtemplates"),
    _rt("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    _rt("events.k8s.io", "v1", "Event", "events", short=["ev"]),
    _rt("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, short=["pc"]),
    _rt("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False),
    _rt("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    _rt(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
        cats=["api-extensions"],
    ),
    _rt(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
        cats=["api-extensions"],
    ),
)

NAMESPACES = BUILTINS[0]
CRDS = next(rt for rt in BUILTINS if rt.kind == "CustomResourceDefinition")


class Registry:
    """Every served resource type, built-in or from a CRD; looked up by group/version/plural or kind."""

    def __init__(self, types: Iterable[ResourceType] = BUILTINS) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._group_versions: dict[str, list[str]] = {}  # group -> versions, preferred first
        self.generation = 0  # bumped on every change: caches of discovery documents key on it
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType, *, preferred: bool = False) -> None:
        self.generation += 1
        self._by_gvr[(rt.group, rt.version, rt.plural)] = rt
        versions = self._group_versions.setdefault(rt.group, [])
        if rt.version not in versions:
            if preferred:
                versions.insert(0, rt.version)
            else:
                versions.append(rt.version)

    def remove_resource(self, group: str, plural: str) -> None:
        """Stop serving (group, plural) in every version; forgets versions left with nothing."""
        self.generation += 1
        for key in [k for k in self._by_gvr if k[0] == group and k[2] == plural]:
            del self._by_gvr[key]
        served = {k[1] for k in self._by_gvr if k[0] == group}
        kept = [v for v in self._group_versions.get(group, []) if v in served]
        if kept:
            self._group_versions[group] = kept
        else:
            self._group_versions.pop(group, None)

    def set_version_order(self, group: str, versions: list[str]) -> None:
        self.generation += 1
        current = self._group_versions.get(group, [])
        ordered = [v for v in versions if v in current] + [v for v in current if v not in versions]
        if ordered:
            self._group_versions[group] = ordered

    def lookup(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self._by_gvr.get((group, version, plural))
        if rt is None:
            raise ApiError(404, "the server could not find the requested resource", details={})
        return rt

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for (g, v, _p), rt in self._by_gvr.items():
            if g == group and v == version and rt.kind == kind:
                return rt
        return None

    def types_of(self, group: str, plural: str) -> list[ResourceType]:
        return [rt for (g, _v, p), rt in self._by_gvr.items() if g == group and p == plural]

    def groups(self) -> list[str]:
        return list(self._group_versions)

    def versions(self, group: str) -> list[str]:
        return list(self._group_versions.get(group, []))

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return [rt for (g, v, _p), rt in self._by_gvr.items() if g == group and v == version]

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._by_gvr.values()))
