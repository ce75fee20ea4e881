"""Deployment history and rollback.

One history entry per successful non-dry-run sync, ids monotonic, truncated to revisionHistoryLimit
(oldest dropped). Rollback is a sync to an entry's revision and source, refused while automated sync
is on (it would fight the rollback straight away).
"""

from __future__ import annotations

from gitops.errors import SyncError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.operation import InitiatedBy, Operation, OperationState, SyncOperation
from gitops.model.status import ApplicationStatus, HistoryEntry


def history_entry_for(state: OperationState, history: list[HistoryEntry]) -> HistoryEntry | None:
    """The entry a finished operation earns: None unless it succeeded and was not a dry run."""
    if state.phase != "Succeeded" or state.operation.sync.dry_run:
        return None
    # Selective syncs do not deploy a whole revision; Argo CD records only full syncs.
    if state.operation.sync.resources:
        return None
    next_id = max((h.id for h in history), default=-1) + 1
    return HistoryEntry(
        id=next_id,
        revision=state.sync_result.revision or state.operation.sync.revision,
        deployed_at=state.finished_at,
        deploy_started_at=state.started_at,
        source=state.sync_result.source or state.operation.sync.source,
        initiated_by=state.operation.initiated_by,
    )


def append_history(history: list[HistoryEntry], entry: HistoryEntry, limit: int) -> list[HistoryEntry]:
    """History with `entry` added (its id above every existing one) and cut to the newest `limit`."""
    entry.id = max([entry.id, *(h.id + 1 for h in history)])
    if limit <= 0:
        return []
    return [*history, entry][-limit:]


def rollback_operation(
    spec: ApplicationSyncSpec,
    status: ApplicationStatus,
    history_id: int,
    *,
    username: str,
    prune: bool = False,
    dry_run: bool = False,
) -> Operation:
    """The operation that rolls the app back to history entry `history_id`; SyncError when refused."""
    if spec.automated_on:
        raise SyncError(
            "rollback refused while automated sync is enabled",
            app=spec.app_name,
            target="spec.syncPolicy.automated",
            hint="disable automated sync first, or it would sync back to the latest commit",
        )
    if status.operation_state is not None and not status.operation_state.completed:
        raise SyncError(
            "another operation is in progress",
            app=spec.app_name,
            hint="wait for it to finish or terminate it",
        )
    entry = next((h for h in status.history if h.id == history_id), None)
    if entry is None:
        known = ", ".join(str(h.id) for h in status.history) or "none"
        raise SyncError(
            f"no history entry with id {history_id}",
            app=spec.app_name,
            target="status.history",
            hint=f"pick one of the recorded ids: {known}",
        )
    return Operation(
        sync=SyncOperation(revision=entry.revision, prune=prune, dry_run=dry_run, source=entry.source),
        initiated_by=InitiatedBy(username=username, automated=False),
    )
