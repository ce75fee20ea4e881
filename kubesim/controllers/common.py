"""Shared pieces of the simulated controllers: the failure switch, conditions that keep their timestamps,
revision hashes and the reconciler signature."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]

FAIL_ANNOTATION = "kubesim.bosun.dev/fail"
FAIL_IMAGE_MARKERS = (":fail", "kubesim/fail")

# (object, due, now) -> the status to write, or None to leave the object alone. `due` is True once the
# controller delay has passed since this generation was first seen.
Reconciler = Callable[[Obj, bool, str], Obj | None]


def _annotated(metadata: Any) -> bool:
    annotations = (metadata or {}).get("annotations") or {} if isinstance(metadata, dict) else {}
    return str(annotations.get(FAIL_ANNOTATION, "")).lower() == "true"


def _images(pod_spec: Any) -> list[str]:
    if not isinstance(pod_spec, dict):
        return []
    containers = (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])
    return [str(c.get("image", "")) for c in containers if isinstance(c, dict)]


def pod_template_of(obj: Obj) -> Obj:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return {"metadata": obj.get("metadata") or {}, "spec": spec}
    if obj.get("kind") == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    return spec.get("template") or {}


def is_failing(obj: Obj) -> bool:
    """The documented failure switch: the annotation `kubesim.bosun.dev/fail: "true"` on the object or its
    pod template, or a container image containing `:fail` or `kubesim/fail`."""
    template = pod_template_of(obj)
    if _annotated(obj.get("metadata")) or _annotated(template.get("metadata")):
        return True
    return any(marker in image for image in _images(template.get("spec")) for marker in FAIL_IMAGE_MARKERS)


def condition(
    previous: list[Obj] | None,
    kind: str,
    status: str,
    reason: str,
    message: str,
    now: str,
    *,
    update_time: bool = False,
    probe_time: bool = False,
) -> Obj:
    """A condition; lastTransitionTime (and lastUpdateTime) kept from `previous` when nothing changed."""
    old = next((c for c in previous or [] if isinstance(c, dict) and c.get("type") == kind), None)
    result: Obj = {"type": kind, "status": status}
    if probe_time:
        result["lastProbeTime"] = None
    if update_time:
        unchanged = old is not None and (old.get("status"), old.get("reason"), old.get("message")) == (
            status,
            reason,
            message,
        )
        result["lastUpdateTime"] = old.get("lastUpdateTime", now) if unchanged and old else now
    same_status = old is not None and old.get("status") == status
    result["lastTransitionTime"] = old.get("lastTransitionTime", now) if same_status and old else now
    result["reason"] = reason
    if message:
        result["message"] = message
    return result


_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(obj: Obj) -> str:
    """A stable short hash of the pod template, like `pod-template-hash` / controller-revision names."""
    digest = hashlib.sha256(json.dumps(pod_template_of(obj), sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def replicas_of(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) and value >= 0 else 1


def without_zeros(status: Obj) -> Obj:
    """Drop zero counters, as omitempty does in the real JSON."""
    return {k: v for k, v in status.items() if v not in (0, None) or isinstance(v, bool)}
