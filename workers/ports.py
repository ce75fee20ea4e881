"""What the tasks ask of the engine: refresh one app, run one step of its operation.

Tasks own coordination (locks, fencing, coalescing, enqueueing); a `Reconciler` owns the GitOps work
and returns the status to save. The engine-backed implementation is built by `workers.context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class RefreshOutcome:
    """A refresh's result: the status to save, and whether an automated sync should start now
    (`operation` is then the Application `operation` to record; default: a plain automated sync).
    `refresh_in`: seconds after which another refresh is wanted (self-heal backoff)."""

    status: dict[str, Any]
    start_sync: bool = False
    summary: str = ""
    operation: dict[str, Any] | None = None
    refresh_in: float | None = None


@dataclass
class StepOutcome:
    """One sync step's result: the status to save and whether the operation is finished."""

    status: dict[str, Any]
    done: bool
    summary: str = ""
    countdown: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Reconciler(Protocol):
    def refresh(self, app: Mapping[str, Any], hard: bool) -> RefreshOutcome:
        """Resolve, render (or load from cache), compare and assess health of one Application."""
        ...

    def sync_step(self, app: Mapping[str, Any]) -> StepOutcome:
        """Run one re-entrant pass of the app's current operation."""
        ...
