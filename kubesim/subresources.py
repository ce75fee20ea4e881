"""The autoscaling/v1 Scale view of workloads (the /scale subresource) and reading a Scale body back."""

from __future__ import annotations

from typing import Any

from kubesim.errors import ApiError, bad_request, invalid
from kubesim.resources import ResourceType

Obj = dict[str, Any]


def scale_of(rt: ResourceType, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a workload."""
    if "scale" not in rt.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    md = obj["metadata"]
    status = obj.get("status") or {}
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in labels.items() if isinstance(v, str)),
        },
    }


def scale_body(rt: ResourceType, old: Obj, body: Any) -> Obj:
    if "scale" not in rt.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    if not isinstance(body, dict) or body.get("kind", "Scale") != "Scale":
        raise bad_request("the object provided is unrecognized (must be of type Scale)")
    replicas = (body.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise invalid(
            "Scale",
            old["metadata"]["name"],
            "autoscaling",
            [
                (
                    "FieldValueInvalid",
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    md = dict(body.get("metadata") or {})
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": md, "spec": {"replicas": replicas}}
