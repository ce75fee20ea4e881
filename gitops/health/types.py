"""Health values and their order (Healthy < Suspended < Progressing < Missing < Degraded < Unknown)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class HealthStatus(StrEnum):
    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"


SEVERITY = {status: rank for rank, status in enumerate(HealthStatus)}


@dataclass(frozen=True, slots=True)
class Health:
    """A resource's or an app's health, as in `status.health{status, message}`."""

    status: HealthStatus
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return (
            {"status": str(self.status), "message": self.message}
            if self.message
            else {"status": str(self.status)}
        )


# A rule (built in or plugin): the object -> its health, or None when the rule has nothing to say.
HealthRule = Callable[[dict[str, Any]], "Health | None"]


def worst(healths: Iterable[Health]) -> Health | None:
    """The most severe health (first one wins among equals), or None for an empty input."""
    chosen: Health | None = None
    for health in healths:
        if chosen is None or SEVERITY[health.status] > SEVERITY[chosen.status]:
            chosen = health
    return chosen


def healthy(message: str = "") -> Health:
    return Health(HealthStatus.HEALTHY, message)


def progressing(message: str = "") -> Health:
    return Health(HealthStatus.PROGRESSING, message)


def degraded(message: str = "") -> Health:
    return Health(HealthStatus.DEGRADED, message)


def suspended(message: str = "") -> Health:
    return Health(HealthStatus.SUSPENDED, message)


def unknown(message: str = "") -> Health:
    return Health(HealthStatus.UNKNOWN, message)
