"""Retry backoff, transient API errors, and the automated-sync decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitops.compare import CompareResult, ResourceStatus, SyncCode
from gitops.errors import ClusterError
from gitops.health import Health, HealthStatus
from gitops.model.application import ApplicationSyncSpec, Backoff, RetryStrategy
from gitops.model.operation import InitiatedBy, Operation, OperationState, SyncOperation
from gitops.model.status import ApplicationStatus
from gitops.model.timefmt import to_rfc3339
from gitops.sync.retry import (
    automated_sync_operation,
    backoff_delay,
    is_transient,
    retries_left,
    self_heal_delay,
    should_auto_sync,
    transient_delay,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def Compare(sync_status: str = "OutOfSync", desired_count: int = 3) -> CompareResult:
    """A real CompareResult with `desired_count` resources from Git and one extraneous one."""
    resources = [
        ResourceStatus("", "v1", "ConfigMap", "apps", f"cm{n}", SyncCode(sync_status))
        for n in range(desired_count)
    ]
    resources.append(
        ResourceStatus("", "v1", "ConfigMap", "apps", "old", SyncCode.OUT_OF_SYNC, requires_pruning=True)
    )
    return CompareResult(resources, SyncCode(sync_status), [], Health(HealthStatus.HEALTHY))


def test_backoff_is_duration_times_factor_power_capped() -> None:
    backoff = Backoff()
    assert [backoff_delay(backoff, n) for n in range(7)] == [5, 10, 20, 40, 80, 160, 180]
    assert backoff_delay(Backoff(1, 10, 1e9), 10_000) == 1e9
    assert retries_left(RetryStrategy(limit=2), 1) and not retries_left(RetryStrategy(limit=2), 2)
    assert retries_left(RetryStrategy(limit=-1), 10_000)
    assert not retries_left(RetryStrategy(limit=0), 0)


def test_transient_errors_honour_retry_after() -> None:
    throttled = ClusterError("slow down", code=429, reason="TooManyRequests", retry_after=7)
    assert is_transient(throttled) and transient_delay(throttled, 0) == 7
    unavailable = ClusterError("down", code=503)
    assert is_transient(unavailable) and transient_delay(unavailable, 3) == 8
    assert not is_transient(ClusterError("bad", code=422))
    assert is_transient(ClusterError("unreachable"))


def test_self_heal_backoff_is_two_times_three_power_capped() -> None:
    assert [self_heal_delay(n) for n in range(6)] == [2, 6, 18, 54, 162, 300]


def _spec(**automated: object) -> ApplicationSyncSpec:
    return ApplicationSyncSpec.from_spec("demo", {"syncPolicy": {"automated": automated}})


def _last(revision: str, phase: str, *, finished: datetime = NOW, attempts: int = 0) -> ApplicationStatus:
    state = OperationState(
        operation=Operation(
            sync=SyncOperation(revision=revision, self_heal_attempts_count=attempts),
            initiated_by=InitiatedBy("automated-sync", automated=True),
        ),
        phase=phase,
        message="boom" if phase == "Failed" else "",
        finished_at=to_rfc3339(finished),
    )
    return ApplicationStatus(operation_state=state)


def test_auto_sync_runs_on_new_revision_and_never_retries_a_failed_one() -> None:
    assert should_auto_sync(_spec(), ApplicationStatus(), Compare(), "r1", NOW).run
    run, reason = should_auto_sync(_spec(), _last("r1", "Failed"), Compare(), "r1", NOW)
    assert not run and "new commit" in reason
    decision = should_auto_sync(_spec(), _last("r1", "Failed"), Compare(), "r1", NOW)
    assert decision.sync_error is not None and "r1" in decision.sync_error
    assert should_auto_sync(_spec(), _last("r1", "Failed"), Compare(), "r2", NOW).run


def test_auto_sync_skips_when_off_synced_running_or_blocked() -> None:
    manual = ApplicationSyncSpec.from_spec("demo", {})
    assert not should_auto_sync(manual, ApplicationStatus(), Compare(), "r1", NOW).run
    assert not should_auto_sync(_spec(), ApplicationStatus(), Compare("Synced"), "r1", NOW).run
    assert not should_auto_sync(_spec(), _last("r0", "Running"), Compare(), "r1", NOW).run
    blocked = ApplicationStatus()
    blocked.set_condition("ComparisonError", "render failed", to_rfc3339(NOW))
    run, reason = should_auto_sync(_spec(), blocked, Compare(), "r1", NOW)
    assert not run and "ComparisonError" in reason


def test_allow_empty_protection() -> None:
    run, reason = should_auto_sync(
        _spec(prune=True), ApplicationStatus(), Compare(desired_count=0), "r1", NOW
    )
    assert not run and "allowEmpty" in reason
    assert should_auto_sync(
        _spec(prune=True, allowEmpty=True), ApplicationStatus(), Compare(desired_count=0), "r1", NOW
    ).run


def test_self_heal_resyncs_drift_after_backoff() -> None:
    no_heal = should_auto_sync(_spec(), _last("r1", "Succeeded"), Compare(), "r1", NOW)
    assert not no_heal.run and "selfHeal" in no_heal.reason
    heal = _spec(selfHeal=True)
    early = should_auto_sync(
        heal, _last("r1", "Succeeded", attempts=2), Compare(), "r1", NOW + timedelta(seconds=10)
    )
    assert not early.run and early.retry_at == NOW + timedelta(seconds=18)
    assert should_auto_sync(
        heal, _last("r1", "Succeeded", attempts=2), Compare(), "r1", NOW + timedelta(seconds=19)
    ).run
    op = automated_sync_operation(heal, _last("r1", "Succeeded", attempts=2), "r1")
    assert op.sync.self_heal_attempts_count == 3 and op.initiated_by.automated
    assert op.retry is not None and op.retry["limit"] == 5
    assert (
        automated_sync_operation(
            heal, _last("r1", "Succeeded", attempts=2), "r2"
        ).sync.self_heal_attempts_count
        == 0
    )
