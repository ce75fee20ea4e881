"""The empty object a create is compared against, as the real server's zero-value Go structs serialise.

Non-pointer structs (metadata, spec, status, pod templates) exist even when empty, so a create does not
own them as a whole (`f:spec` carries no `.`); custom resources start from nothing, so they do.
"""

from __future__ import annotations

from typing import Any

from kubesim.patching.patch_keys import ResourceLike


def _template() -> dict[str, Any]:
    return {"metadata": {}, "spec": {"containers": None}}


def _workload(**spec: Any) -> dict[str, Any]:
    return {"metadata": {}, "spec": {"selector": None, "template": _template(), **spec}, "status": {}}


_SPEC_STATUS = {
    ("", "Namespace"),
    ("", "Service"),
    ("", "PersistentVolumeClaim"),
    ("", "PersistentVolume"),
    ("", "ResourceQuota"),
    ("networking.k8s.io", "Ingress"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
}
_SPEC_ONLY = {
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "IngressClass"),
    ("coordination.k8s.io", "Lease"),
}


def empty_object(rt: ResourceLike) -> dict[str, Any]:
    if getattr(rt, "custom", False):
        return {}
    key = (rt.group, rt.kind)
    if key == ("apps", "Deployment"):
        return _workload(strategy={})
    if key in (("apps", "StatefulSet"), ("apps", "DaemonSet")):
        return _workload(updateStrategy={})
    if key == ("apps", "ReplicaSet"):
        return _workload()
    if key == ("batch", "Job"):
        return {"metadata": {}, "spec": {"template": _template()}, "status": {}}
    if key == ("batch", "CronJob"):
        job = {"metadata": {}, "spec": {"template": _template()}}
        return {"metadata": {}, "spec": {"jobTemplate": job}, "status": {}}
    if key == ("", "Pod"):
        return {"metadata": {}, "spec": {"containers": None}, "status": {}}
    if key in _SPEC_STATUS:
        return {"metadata": {}, "spec": {}, "status": {}}
    if key in _SPEC_ONLY:
        return {"metadata": {}, "spec": {}}
    return {"metadata": {}}


def _overlay(zero: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    for key, value in zero.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = _overlay(value, out[key])
    return out


def with_zero_values(obj: dict[str, Any], rt: ResourceLike) -> dict[str, Any]:
    """obj as the real server holds it: the zero-value structs of its kind present (obj is not changed)."""
    zero = empty_object(rt)
    return _overlay(zero, obj) if zero else obj
