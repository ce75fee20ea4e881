"""The Argo CD status shape: camelCase round trip, history cap and ids, rollback rules, spec parsing."""

from __future__ import annotations

import pytest

from gitops.errors import SpecError, SyncError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.history import append_history, history_entry_for, rollback_operation
from gitops.model.operation import InitiatedBy, Operation, OperationState, SyncOperation
from gitops.model.status import ApplicationStatus, HistoryEntry

ARGO_STATUS = {
    "sync": {"status": "Synced", "revision": "abc123"},
    "health": {"status": "Healthy"},
    "resources": [
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": "apps",
            "name": "web",
            "status": "Synced",
            "health": {"status": "Healthy"},
            "syncWave": 1,
        },
        {
            "version": "v1",
            "kind": "ConfigMap",
            "namespace": "apps",
            "name": "old",
            "status": "OutOfSync",
            "requiresPruning": True,
        },
    ],
    "operationState": {
        "operation": {
            "sync": {
                "revision": "abc123",
                "prune": True,
                "syncOptions": ["CreateNamespace=true"],
                "resources": [{"kind": "ConfigMap", "name": "old"}],
            },
            "initiatedBy": {"username": "admin"},
        },
        "phase": "Succeeded",
        "message": "successfully synced (all tasks run)",
        "syncResult": {
            "resources": [
                {
                    "group": "",
                    "version": "v1",
                    "kind": "ConfigMap",
                    "namespace": "apps",
                    "name": "old",
                    "status": "Pruned",
                    "message": "pruned",
                    "syncPhase": "Sync",
                }
            ],
            "revision": "abc123",
        },
        "startedAt": "2026-01-01T00:00:00Z",
        "finishedAt": "2026-01-01T00:00:05Z",
        "retryCount": 1,
    },
    "history": [
        {
            "id": 0,
            "revision": "abc123",
            "deployedAt": "2026-01-01T00:00:05Z",
            "deployStartedAt": "2026-01-01T00:00:00Z",
            "initiatedBy": {"automated": True},
        }
    ],
    "conditions": [{"type": "SyncError", "message": "boom", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
    "reconciledAt": "2026-01-01T00:00:06Z",
    "sourceType": "Directory",
}


def test_argo_status_round_trips_in_camel_case() -> None:
    status = ApplicationStatus.from_dict(ARGO_STATUS)
    assert status.operation_state is not None and status.operation_state.retry_count == 1
    assert status.resources[1].requires_pruning and status.resources[0].sync_wave == 1
    assert status.history[0].initiated_by.automated
    again = status.to_dict()
    assert again["operationState"]["syncResult"]["resources"][0]["status"] == "Pruned"
    assert ApplicationStatus.from_dict(again).to_dict() == again
    assert set(again) == set(ARGO_STATUS)


def _finished(
    revision: str, started: str, *, dry_run: bool = False, phase: str = "Succeeded"
) -> OperationState:
    return OperationState(
        operation=Operation(
            sync=SyncOperation(revision=revision, dry_run=dry_run), initiated_by=InitiatedBy("me")
        ),
        phase=phase,
        started_at=started,
        finished_at=started,
    )


def test_history_has_one_entry_per_successful_real_sync_capped_with_monotonic_ids() -> None:
    history: list[HistoryEntry] = []
    for n in range(13):
        entry = history_entry_for(_finished(f"rev{n}", f"2026-01-01T00:00:{n:02d}Z"), history)
        assert entry is not None
        history = append_history(history, entry, limit=10)
    assert len(history) == 10
    assert [h.id for h in history] == list(range(3, 13))
    assert history[-1].revision == "rev12"
    assert history_entry_for(_finished("x", "t", dry_run=True), history) is None
    assert history_entry_for(_finished("x", "t", phase="Failed"), history) is None


def test_rollback_targets_history_entry_and_is_refused_with_automated_sync() -> None:
    status = ApplicationStatus.from_dict(ARGO_STATUS)
    status.history[0].source = {"repoURL": "https://git.example/repo.git", "path": "app"}
    manual = ApplicationSyncSpec.from_spec("demo", {})
    op = rollback_operation(manual, status, 0, username="alice")
    assert op.sync.revision == "abc123" and op.sync.source == {
        "repoURL": "https://git.example/repo.git",
        "path": "app",
    }
    automated = ApplicationSyncSpec.from_spec("demo", {"syncPolicy": {"automated": {}}})
    with pytest.raises(SyncError, match="automated sync"):
        rollback_operation(automated, status, 0, username="alice")
    with pytest.raises(SyncError, match="no history entry with id 7"):
        rollback_operation(manual, status, 7, username="alice")


def test_spec_defaults_and_bad_input() -> None:
    spec = ApplicationSyncSpec.from_spec(
        "demo",
        {
            "syncPolicy": {
                "automated": {"prune": True},
                "retry": {"limit": 3, "backoff": {"duration": "10s", "maxDuration": "1m"}},
                "managedNamespaceMetadata": {"labels": {"team": "a"}},
            }
        },
    )
    assert spec.automated_on and spec.automated is not None and spec.automated.prune
    assert spec.revision_history_limit == 10
    assert (
        spec.retry is not None and spec.retry.backoff.duration == 10 and spec.retry.backoff.max_duration == 60
    )
    assert (
        ApplicationSyncSpec.from_spec("d", {"syncPolicy": {"automated": {}}})
        .effective_retry(automated_operation=True)
        .limit
        == 5
    )
    assert ApplicationSyncSpec.from_spec("d", {}).effective_retry(automated_operation=False).limit == 0
    with pytest.raises(SpecError, match=r"app 'demo'.*duration"):
        ApplicationSyncSpec.from_spec("demo", {"syncPolicy": {"retry": {"backoff": {"duration": "soon"}}}})
    with pytest.raises(SpecError, match="revisionHistoryLimit"):
        ApplicationSyncSpec.from_spec("demo", {"revisionHistoryLimit": -1})
    with pytest.raises(SpecError, match="unknown sync option"):
        ApplicationSyncSpec.from_spec("demo", {"syncPolicy": {"syncOptions": ["Turbo=true"]}})
