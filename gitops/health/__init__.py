"""Health assessment: built-in rules per kind family, plugins by entry point, app aggregation.

Public interface: `assess(obj) -> Health | None`, `app_health([HealthInput]) -> Health`,
`Health(status, message)`, `HealthStatus`, `worst`.
"""

from gitops.health.aggregate import IGNORE_HEALTHCHECK, HealthInput, app_health, ignores_healthcheck
from gitops.health.assess import assess
from gitops.health.registry import ENTRY_POINT_GROUP, reload_plugins
from gitops.health.types import SEVERITY, Health, HealthRule, HealthStatus, worst

__all__ = [
    "ENTRY_POINT_GROUP",
    "IGNORE_HEALTHCHECK",
    "SEVERITY",
    "Health",
    "HealthInput",
    "HealthRule",
    "HealthStatus",
    "app_health",
    "assess",
    "ignores_healthcheck",
    "reload_plugins",
    "worst",
]
