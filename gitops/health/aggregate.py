"""App health: the worst health of its resources, skipping what Argo CD skips.

Not counted: hooks; resources annotated `argocd.argoproj.io/ignore-healthcheck: "true"`; resources
without health; a Missing resource whose kind has no health rule (a missing ConfigMap does not make
the app Missing, a missing Deployment does); a child Application that is Missing or Unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gitops.health.registry import has_health_rule
from gitops.health.types import Health, HealthStatus, worst

IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck"


@dataclass(frozen=True, slots=True)
class HealthInput:
    """What aggregation needs of one resource."""

    health: Health | None
    hook: bool = False
    ignore_healthcheck: bool = False
    name: str = ""
    group: str = ""
    kind: str = ""

    def counts(self) -> bool:
        if self.health is None or self.hook or self.ignore_healthcheck:
            return False
        status = self.health.status
        if status == HealthStatus.MISSING and self.kind and not has_health_rule(self.group, self.kind):
            return False
        return not (
            (self.group, self.kind) == ("argoproj.io", "Application")
            and status in (HealthStatus.MISSING, HealthStatus.UNKNOWN)
        )


def ignores_healthcheck(annotations: dict[str, str] | None) -> bool:
    return str((annotations or {}).get(IGNORE_HEALTHCHECK, "")).lower() == "true"


def app_health(resources: Iterable[HealthInput]) -> Health:
    """Worst of the counted resources (Healthy when none count); the message names the resource."""
    counted = [r for r in resources if r.counts()]
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
