"""`assess(obj)`: one live object's health, applying the rules in Argo CD's order.

1. deletionTimestamp set: Progressing.  2. A plugin for its group/kind.  3. observedGeneration behind
generation: Progressing (for kinds with a rule).  4. The built-in rule of its kind.  5. A Ready
condition.  Otherwise None: the kind has no health.
"""

from __future__ import annotations

import logging
from typing import Any

from gitops.health.common import generation_lag
from gitops.health.generic import ready_condition
from gitops.health.registry import builtin_for, plugin_for
from gitops.health.types import Health, progressing, unknown

log = logging.getLogger(__name__)


def group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rpartition("/")[0]
    return group, str(obj.get("kind") or "")


def assess(obj: dict[str, Any]) -> Health | None:
    """The health of one live object, or None when its kind has no health."""
    metadata = obj.get("metadata") or {}
    if metadata.get("deletionTimestamp"):
        return progressing("Pending deletion")
    group, kind = group_kind(obj)
    plugin = plugin_for(group, kind)
    if plugin is not None:
        try:
            verdict = plugin(obj)
        except Exception as exc:
            log.warning("health plugin for %s/%s raised: %s", group, kind, exc)
            return unknown(f"health plugin for {group}/{kind} failed: {exc}")
        if verdict is not None:
            return verdict
    rule = builtin_for(group, kind)
    if rule is not None:
        return generation_lag(obj) or rule(obj)
    if isinstance((obj.get("status") or {}).get("conditions"), list):
        lag = generation_lag(obj)
        ready = ready_condition(obj)
        if ready is not None:
            return lag or ready
    return None
