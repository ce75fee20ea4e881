"""Validation of objects as kube-apiserver does it: `validate(rt, obj, old)` raises a 422 Invalid `ApiError`
with every cause (real field paths and messages), or returns None.

Run it after defaulting. `old` is the stored object on update (None on create): it enables the
immutability rules (apps selectors, Job template, StatefulSet spec, Service cluster IP, immutable
ConfigMaps and Secrets, PVC spec, Pod spec). Every kind gets ObjectMeta checks (name or generateName,
DNS-1123 subdomain / label / path-segment names, label and annotation syntax, finalizers); the kinds
below get their own rules. Deliberately like the real server: a pod *template* may omit `image`
(only Pods require it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kubesim.validation import core, policy, workloads
from kubesim.validation.field_errors import Errors
from kubesim.validation.names import validate_object_meta

Obj = dict[str, Any]
Check = Callable[[Errors, Obj, Obj | None], None]

__all__ = ["name_rule", "validate"]


class KindLike(Protocol):
    """The part of `kubesim.resources.ResourceType` validation needs."""

    @property
    def group(self) -> str: ...

    @property
    def kind(self) -> str: ...


_CHECKS: dict[tuple[str, str], Check] = {
    ("", "Service"): core.validate_service,
    ("", "ConfigMap"): core.validate_config_map,
    ("", "Secret"): core.validate_secret,
    ("", "PersistentVolumeClaim"): core.validate_pvc,
    ("", "Namespace"): core.validate_namespace,
    ("", "Pod"): core.validate_pod,
    ("apps", "Deployment"): workloads.validate_deployment,
    ("apps", "ReplicaSet"): workloads.validate_replica_set,
    ("apps", "DaemonSet"): workloads.validate_daemon_set,
    ("apps", "StatefulSet"): workloads.validate_stateful_set,
    ("batch", "Job"): workloads.validate_job,
    ("batch", "CronJob"): workloads.validate_cron_job,
    ("networking.k8s.io", "Ingress"): core.validate_ingress,
    ("rbac.authorization.k8s.io", "Role"): policy.validate_role,
    ("rbac.authorization.k8s.io", "ClusterRole"): policy.validate_cluster_role,
    ("rbac.authorization.k8s.io", "RoleBinding"): policy.validate_role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): policy.validate_cluster_role_binding,
    ("autoscaling", "HorizontalPodAutoscaler"): policy.validate_hpa,
    ("policy", "PodDisruptionBudget"): policy.validate_pdb,
}

_LABEL_NAMED = {("", "Namespace"), ("", "Service")}
_RBAC = "rbac.authorization.k8s.io"
_PATH_NAMED = {(_RBAC, "Role"), (_RBAC, "ClusterRole"), (_RBAC, "RoleBinding"), (_RBAC, "ClusterRoleBinding")}


def name_rule(rt: KindLike) -> str:
    """`label`, `subdomain` or `path`: the rule the real server applies to metadata.name of a kind."""
    key = (rt.group, rt.kind)
    if key in _LABEL_NAMED:
        return "label"
    return "path" if key in _PATH_NAMED else "subdomain"


def validate(rt: KindLike, obj: Obj, old: Obj | None = None) -> None:
    errors = Errors()
    metadata = obj.get("metadata") or {}
    validate_object_meta(errors, metadata, name_rule(rt))
    check = _CHECKS.get((rt.group, rt.kind))
    if check is not None and not getattr(rt, "custom", False):
        check(errors, obj, old)
    errors.raise_if_any(rt.kind, str(metadata.get("name") or metadata.get("generateName") or ""), rt.group)
