"""Defaulting of built-in kinds, as kube-apiserver applies it when it decodes a request body.

`Defaulter().apply(rt, obj, old=None)` mutates `obj` in place: field defaults of
k8s.io/kubernetes pkg/apis/*/v1/defaults.go, canonical quantities (kubesim/quantity.py), the
create-time work of some registries (Service cluster IP and node ports, Job selector, Namespace
finalizer and name label, Secret `stringData` folded into `data`). Pass `old` on update so allocated
values are kept. Custom resources and unknown kinds are left alone. A malformed quantity or base64
Secret value, or a number/bool where the real types have strings (labels, annotations, ConfigMap
data, env values), raises a 400 `ApiError` like the real decoder. Call `release(rt, obj)` when a Service is
deleted so its cluster IP and node ports can be reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kubesim.defaults import core, workloads
from kubesim.defaults.decode import type_error
from kubesim.defaults.services import Allocators, default_service
from kubesim.errors import ApiError
from kubesim.quantity import QuantityError

Obj = dict[str, Any]
DefaultFn = Callable[[Obj, Obj | None], None]


class KindLike(Protocol):
    """The part of `kubesim.resources.ResourceType` defaulting needs."""

    @property
    def group(self) -> str: ...

    @property
    def kind(self) -> str: ...


_BY_KIND: dict[tuple[str, str], DefaultFn] = {
    ("", "Namespace"): core.default_namespace,
    ("", "Secret"): core.default_secret,
    ("", "Pod"): core.default_pod_object,
    ("", "PodTemplate"): workloads.default_pod_template,
    ("", "ReplicationController"): workloads.default_replication_controller,
    ("", "PersistentVolumeClaim"): core.default_pvc,
    ("", "PersistentVolume"): core.default_pv,
    ("", "Endpoints"): core.default_endpoints,
    ("", "ResourceQuota"): core.default_resource_quota,
    ("", "LimitRange"): core.default_limit_range,
    ("apps", "Deployment"): workloads.default_deployment,
    ("apps", "ReplicaSet"): workloads.default_replica_set,
    ("apps", "StatefulSet"): workloads.default_stateful_set,
    ("apps", "DaemonSet"): workloads.default_daemon_set,
    ("batch", "Job"): workloads.default_job,
    ("batch", "CronJob"): workloads.default_cron_job,
    ("autoscaling", "HorizontalPodAutoscaler"): core.default_hpa,
    ("networking.k8s.io", "NetworkPolicy"): core.default_network_policy,
    ("networking.k8s.io", "Ingress"): core.default_ingress,
    ("rbac.authorization.k8s.io", "RoleBinding"): core.default_role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): core.default_role_binding,
    ("storage.k8s.io", "StorageClass"): core.default_storage_class,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): core.default_crd,
}


# Status fields the real server always serializes (Go fields without omitempty), so clients that
# require them (the typed Python client does) can read a freshly created object.
_ALWAYS_IN_STATUS: dict[tuple[str, str], dict[str, Any]] = {
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "DaemonSet"): {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("", "ReplicationController"): {"replicas": 0},
    ("autoscaling", "HorizontalPodAutoscaler"): {"desiredReplicas": 0},
    ("policy", "PodDisruptionBudget"): {
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "expectedPods": 0,
    },
    ("", "Service"): {"loadBalancer": {}},
    ("networking.k8s.io", "Ingress"): {"loadBalancer": {}},
}


class Defaulter:
    """Applies the real server's defaults; holds the Service address allocators of one server."""

    def __init__(self, seed: int | None = None) -> None:
        self.allocators = Allocators(seed)

    def handles(self, rt: KindLike) -> bool:
        return (rt.group, rt.kind) in _BY_KIND or (rt.group, rt.kind) == ("", "Service")

    def apply(self, rt: KindLike, obj: Obj, old: Obj | None = None) -> None:
        key = (rt.group, rt.kind)
        version = getattr(rt, "version", "v1")
        if not getattr(rt, "custom", False):
            problem = type_error(rt.group, rt.kind, obj)
            if problem is not None:
                raise ApiError(
                    400, f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: {problem}'
                )
        always = _ALWAYS_IN_STATUS.get(key)
        if always is not None and not getattr(rt, "custom", False):
            status = obj.get("status")
            if not isinstance(status, dict):
                status = obj["status"] = {}
            for field, zero in always.items():
                status.setdefault(field, dict(zero) if isinstance(zero, dict) else zero)
        try:
            if key == ("", "Service"):
                default_service(obj, old, self.allocators)
                return
            function = _BY_KIND.get(key)
            if function is not None:
                function(obj, old)
        except QuantityError as exc:
            raise ApiError(
                400, f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: {exc}'
            ) from None

    def release(self, rt: KindLike, obj: Obj) -> None:
        if (rt.group, rt.kind) == ("", "Service"):
            self.allocators.release(obj)
