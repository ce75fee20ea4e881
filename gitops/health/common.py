"""Small readers shared by the health rules: conditions, integers, the generation check."""

from __future__ import annotations

from typing import Any

from gitops.health.types import Health, progressing

Obj = dict[str, Any]


def status_of(obj: Obj) -> dict[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def spec_of(obj: Obj) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def condition(obj: Obj, kind: str) -> dict[str, Any] | None:
    """The status condition of the given type, or None."""
    for cond in status_of(obj).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def condition_is(obj: Obj, kind: str, value: str = "True") -> bool:
    cond = condition(obj, kind)
    return cond is not None and str(cond.get("status")) == value


def number(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def generation_lag(obj: Obj) -> Health | None:
    """Progressing while the controller has not observed the latest spec (observedGeneration < generation)."""
    observed = status_of(obj).get("observedGeneration")
    generation = (obj.get("metadata") or {}).get("generation")
    if observed is not None and generation is not None and number(observed) < number(generation):
        return progressing(
            f"Waiting for the controller to observe generation {generation} (observed {observed})"
        )
    return None
