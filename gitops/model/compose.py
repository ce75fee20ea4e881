"""Composing an Application's `status` after a refresh: the compare verdict, the operation state,
history, and conditions whose lastTransitionTime survives as long as their message does not change.

SyncError (a failed automated sync of a revision) stays until a sync succeeds or a new revision
arrives; `record_auto_sync_decision` sets it from `should_auto_sync`'s answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from gitops.model.operation import SUCCEEDED, OperationState
from gitops.model.status import (
    SYNC_ERROR,
    ApplicationStatus,
    Condition,
    HealthStatus,
    HistoryEntry,
    ResourceStatus,
    SyncStatus,
)
from gitops.model.timefmt import to_rfc3339


class _Compared(Protocol):
    """What is read of a `gitops.compare.CompareResult`."""

    @property
    def sync_status(self) -> Any: ...

    @property
    def resources(self) -> Sequence[Any]: ...

    @property
    def conditions(self) -> Sequence[Any]: ...

    @property
    def health(self) -> Any: ...


def compose_status(
    previous: ApplicationStatus,
    compare: _Compared,
    *,
    revision: str,
    now: datetime,
    operation_state: OperationState | None = None,
    history: list[HistoryEntry] | None = None,
    source_type: str = "",
    revisions: list[str] | None = None,
) -> ApplicationStatus:
    at = to_rfc3339(now)
    status = ApplicationStatus(
        sync=SyncStatus(status=str(compare.sync_status), revision=revision, revisions=list(revisions or [])),
        health=HealthStatus(
            status=str(compare.health.status), message=str(getattr(compare.health, "message", "") or "")
        ),
        resources=[ResourceStatus.from_dict(r.to_dict()) for r in compare.resources],
        operation_state=operation_state if operation_state is not None else previous.operation_state,
        history=list(history if history is not None else previous.history),
        conditions=[],
        reconciled_at=at,
        source_type=source_type or previous.source_type,
    )
    for condition in compare.conditions:
        old = previous.condition(str(condition.type))
        same = old is not None and old.message == str(condition.message)
        status.conditions.append(
            Condition(
                str(condition.type), str(condition.message), old.last_transition_time if same and old else at
            )
        )
    sync_error = previous.condition(SYNC_ERROR)
    op = status.operation_state
    cleared = (
        op is not None
        and op.phase == SUCCEEDED
        and op.finished_at >= (sync_error.last_transition_time if sync_error else "")
    )
    if sync_error is not None and not cleared and revision in sync_error.message:
        status.conditions.append(sync_error)
    return status


def record_auto_sync_decision(status: ApplicationStatus, sync_error: str | None, now: datetime) -> None:
    """Set the SyncError condition when auto-sync refused to retry a failed revision."""
    if sync_error:
        status.set_condition(SYNC_ERROR, sync_error, to_rfc3339(now))
