"""Health of networking, autoscaling and API-extension kinds: Ingress, HPA, APIService, CRD."""

from __future__ import annotations

from gitops.health.common import Obj, condition, condition_is, status_of
from gitops.health.types import Health, degraded, healthy, progressing


def ingress(obj: Obj) -> Health:
    if (status_of(obj).get("loadBalancer") or {}).get("ingress"):
        return healthy()
    return progressing("Waiting for the ingress to get an address")


def _is_failure_reason(reason: str) -> bool:
    return reason.startswith("Failed") or reason.startswith("Invalid")


def horizontal_pod_autoscaler(obj: Obj) -> Health:
    for kind in ("AbleToScale", "ScalingActive"):
        cond = condition(obj, kind)
        if cond and str(cond.get("status")) == "False" and _is_failure_reason(str(cond.get("reason") or "")):
            return degraded(str(cond.get("message") or cond.get("reason")))
    return healthy()


def api_service(obj: Obj) -> Health:
    if condition_is(obj, "Available"):
        return healthy()
    cond = condition(obj, "Available") or {}
    return progressing(str(cond.get("message") or "Waiting for the API service to become available"))


def custom_resource_definition(obj: Obj) -> Health:
    if condition_is(obj, "NamesAccepted", "False"):
        return degraded(
            str((condition(obj, "NamesAccepted") or {}).get("message") or "CRD names not accepted")
        )
    if condition_is(obj, "Established"):
        return healthy()
    return progressing("Waiting for the CRD to be established")
