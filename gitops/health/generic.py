"""Rules without a kind: the generic Ready condition and the Application kind (app-of-apps)."""

from __future__ import annotations

from gitops.health.common import Obj, condition, status_of
from gitops.health.types import Health, HealthStatus, degraded, healthy, progressing


def ready_condition(obj: Obj) -> Health | None:
    """Ready=True Healthy, Ready=False Degraded, Ready=Unknown Progressing; no Ready condition: no health."""
    cond = condition(obj, "Ready")
    if cond is None:
        return None
    message = str(cond.get("message") or cond.get("reason") or "")
    value = str(cond.get("status"))
    if value == "True":
        return healthy(message)
    if value == "False":
        return degraded(message)
    return progressing(message)


def application(obj: Obj) -> Health:
    """A child Application's own health, so an app-of-apps waits for its children wave by wave."""
    reported = status_of(obj).get("health") or {}
    value = reported.get("status")
    if value in {member.value for member in HealthStatus}:
        return Health(HealthStatus(value), str(reported.get("message") or ""))
    return progressing("Waiting for the child application to report its health")
