"""Status composition from a compare verdict: Argo's shape, stable condition times, SyncError lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitops.compare import CompareResult, Condition, ResourceStatus, SyncCode
from gitops.health import Health, HealthStatus
from gitops.model.compose import compose_status, record_auto_sync_decision
from gitops.model.operation import OperationState
from gitops.model.status import ApplicationStatus
from gitops.model.timefmt import to_rfc3339

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def compared(*conditions: Condition) -> CompareResult:
    resources = [
        ResourceStatus(
            "apps", "v1", "Deployment", "apps", "web", SyncCode.SYNCED, Health(HealthStatus.HEALTHY)
        ),
        ResourceStatus("", "v1", "ConfigMap", "apps", "old", SyncCode.OUT_OF_SYNC, requires_pruning=True),
    ]
    return CompareResult(resources, SyncCode.OUT_OF_SYNC, list(conditions), Health(HealthStatus.HEALTHY))


def test_status_has_argo_shape_and_keeps_condition_times() -> None:
    warning = Condition("SharedResourceWarning", "ConfigMap apps/x is part of app other")
    first = compose_status(
        ApplicationStatus(), compared(warning), revision="r1", now=T0, source_type="Directory"
    )
    data = first.to_dict()
    assert data["sync"] == {"status": "OutOfSync", "revision": "r1"}
    assert data["resources"][1]["requiresPruning"] is True
    assert data["reconciledAt"] == "2026-01-01T00:00:00Z" and data["sourceType"] == "Directory"
    later = compose_status(first, compared(warning), revision="r1", now=T0 + timedelta(minutes=2))
    assert later.conditions[0].last_transition_time == "2026-01-01T00:00:00Z"
    assert later.reconciled_at == "2026-01-01T00:02:00Z"


def test_sync_error_lasts_until_new_revision_or_success() -> None:
    status = compose_status(ApplicationStatus(), compared(), revision="r1", now=T0)
    record_auto_sync_decision(status, "failed sync attempt to r1: boom", T0)
    again = compose_status(status, compared(), revision="r1", now=T0 + timedelta(seconds=5))
    assert again.condition("SyncError") is not None
    assert compose_status(again, compared(), revision="r2", now=T0).condition("SyncError") is None
    done = OperationState(phase="Succeeded", finished_at=to_rfc3339(T0 + timedelta(seconds=9)))
    assert (
        compose_status(again, compared(), revision="r1", now=T0, operation_state=done).condition("SyncError")
        is None
    )
