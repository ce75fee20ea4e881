"""App health: the worst health of its resources, skipping hooks and `ignore-healthcheck` resources."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gitops.health.types import Health, HealthStatus, worst

IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck"


@dataclass(frozen=True, slots=True)
class HealthInput:
    """What aggregation needs of one resource."""

    health: Health | None
    hook: bool = False
    ignore_healthcheck: bool = False
    name: str = ""


def ignores_healthcheck(annotations: dict[str, str] | None) -> bool:
    return str((annotations or {}).get(IGNORE_HEALTHCHECK, "")).lower() == "true"


def app_health(resources: Iterable[HealthInput]) -> Health:
    """Worst of the counted resources (Healthy when none count); the message names the resource."""
    counted = [r for r in resources if r.health is not None and not r.hook and not r.ignore_healthcheck]
    chosen = worst(r.health for r in counted if r.health is not None)
    if chosen is None or chosen.status == HealthStatus.HEALTHY:
        return Health(HealthStatus.HEALTHY)
    culprit = next(r for r in counted if r.health == chosen)
    message = (
        f"{culprit.name}: {chosen.message}"
        if culprit.name and chosen.message
        else chosen.message or culprit.name
    )
    return Health(chosen.status, message)
