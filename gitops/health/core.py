"""Health of core/v1 kinds: Pod, Service, PersistentVolumeClaim."""

from __future__ import annotations

from gitops.health.common import Obj, condition_is, spec_of, status_of
from gitops.health.types import Health, degraded, healthy, progressing, unknown


def _is_error_reason(reason: str) -> bool:
    return reason.startswith("Err") or reason.endswith("Error") or reason.endswith("BackOff")


def _failing_container(status: dict[str, object]) -> str | None:
    """`name: reason: message` of the first container waiting for an error reason, if any."""
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for container in status.get(key) or []:  # type: ignore[attr-defined]
            waiting = ((container or {}).get("state") or {}).get("waiting") or {}
            reason = str(waiting.get("reason") or "")
            if reason and _is_error_reason(reason):
                message = waiting.get("message") or ""
                return f"container {container.get('name')}: {reason}" + (f": {message}" if message else "")
    return None


def _terminated_message(status: dict[str, object]) -> str:
    for container in status.get("containerStatuses") or []:  # type: ignore[attr-defined]
        terminated = ((container or {}).get("state") or {}).get("terminated") or {}
        if terminated.get("exitCode"):
            return f"container {container.get('name')} exited with code {terminated.get('exitCode')}"
    return ""


def pod(obj: Obj) -> Health:
    status = status_of(obj)
    phase = status.get("phase") or "Pending"
    failing = _failing_container(status)
    if phase == "Succeeded":
        return healthy(str(status.get("message") or "pod completed"))
    if phase == "Failed":
        return degraded(str(status.get("message") or _terminated_message(status) or "pod failed"))
    if failing:
        return degraded(failing)
    if phase == "Pending":
        return progressing(str(status.get("message") or "pod is pending"))
    if phase == "Running":
        if condition_is(obj, "Ready"):
            return healthy("pod is running and ready")
        return progressing("pod is running but not ready")
    return unknown(str(status.get("message") or f"pod phase {phase}"))


def service(obj: Obj) -> Health:
    if spec_of(obj).get("type") != "LoadBalancer":
        return healthy()
    if (status_of(obj).get("loadBalancer") or {}).get("ingress"):
        return healthy()
    return progressing("Waiting for the load balancer to get an address")


def persistent_volume_claim(obj: Obj) -> Health:
    phase = status_of(obj).get("phase")
    if phase == "Bound":
        return healthy()
    if phase == "Pending":
        return progressing("Waiting for the claim to be bound")
    if phase == "Lost":
        return degraded("the claim lost its volume")
    return unknown(f"claim phase {phase}" if phase else "claim has no phase yet")
