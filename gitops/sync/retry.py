"""Retry policy: backoff of failed operations, transient API errors (429/503 Retry-After), and the
automated-sync decision `should_auto_sync` the control plane asks before starting a sync.

Argo CD semantics: delay = duration * factor^n capped at maxDuration; limit < 0 is unlimited;
automated syncs without a retry block get limit 5; a revision whose automated sync failed is never
retried automatically (SyncError condition) until a new commit; selfHeal re-syncs drift of an
already-synced revision after 2 s * 3^n, capped at 300 s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from gitops.errors import ClusterError
from gitops.model.application import ApplicationSyncSpec, Backoff, RetryStrategy
from gitops.model.operation import FAILED, SUCCEEDED, InitiatedBy, Operation, SyncOperation
from gitops.model.status import BLOCKING_CONDITIONS, ApplicationStatus
from gitops.model.timefmt import from_rfc3339

SELF_HEAL_BASE_SECONDS = 2.0
SELF_HEAL_FACTOR = 3.0
SELF_HEAL_MAX_SECONDS = 300.0
TRANSIENT_CODES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_BACKOFF = Backoff(duration=1.0, factor=2.0, max_duration=30.0)


def backoff_delay(backoff: Backoff, attempt: int) -> float:
    """Delay before retry number `attempt` (0-based): duration * factor^attempt, capped."""
    if attempt < 0:
        attempt = 0
    try:
        delay = backoff.duration * (backoff.factor**attempt)
    except OverflowError:
        return backoff.max_duration
    return min(delay, backoff.max_duration)


def retries_left(retry: RetryStrategy, retry_count: int) -> bool:
    """True when one more attempt is allowed after `retry_count` retries (limit < 0: unlimited)."""
    return retry.limit < 0 or retry_count < retry.limit


def is_transient(error: BaseException) -> bool:
    """API errors worth retrying the same step for: throttling, unavailable, unreachable."""
    if not isinstance(error, ClusterError):
        return False
    return error.code is None or error.code in TRANSIENT_CODES


def transient_delay(error: ClusterError, attempt: int) -> float:
    """How long to wait before repeating a step that hit a transient error: Retry-After wins."""
    if error.retry_after is not None and error.retry_after >= 0:
        return float(error.retry_after)
    return backoff_delay(TRANSIENT_BACKOFF, attempt)


def self_heal_delay(attempts: int) -> float:
    """selfHeal backoff: 2 s * 3^attempts, capped at 300 s."""
    return backoff_delay(Backoff(SELF_HEAL_BASE_SECONDS, SELF_HEAL_FACTOR, SELF_HEAL_MAX_SECONDS), attempts)


class ResourceSummary(Protocol):
    """What `should_auto_sync` reads of one compared resource (gitops.compare.ResourceStatus fits)."""

    @property
    def hook(self) -> bool: ...

    @property
    def requires_pruning(self) -> bool: ...

    @property
    def status(self) -> Any: ...


class CompareSummary(Protocol):
    """What `should_auto_sync` reads of a compare (gitops.compare.CompareResult fits)."""

    @property
    def sync_status(self) -> Any: ...

    @property
    def resources(self) -> Sequence[ResourceSummary]: ...


def desired_count(compare: CompareSummary) -> int:
    """Resources Git has (not hooks, not extraneous, not `hook: Skip`)."""
    return sum(1 for r in compare.resources if not r.hook and not r.requires_pruning and r.status is not None)


@dataclass(frozen=True)
class AutoSyncDecision:
    run: bool
    reason: str
    retry_at: datetime | None = None
    sync_error: str | None = None

    def __iter__(self) -> Iterator[bool | str]:
        """Unpacks as `(run, reason)`."""
        return iter((self.run, self.reason))


def should_auto_sync(
    spec: ApplicationSyncSpec,
    status: ApplicationStatus,
    compare: CompareSummary,
    revision: str,
    now: datetime,
) -> AutoSyncDecision:
    """Whether the control plane should start an automated sync to `revision` now, and why (not)."""
    if not spec.automated_on:
        return AutoSyncDecision(False, "automated sync is off")
    blocking = [c for c in status.conditions if c.type in BLOCKING_CONDITIONS]
    if blocking:
        return AutoSyncDecision(False, f"{blocking[0].type}: {blocking[0].message}")
    last = status.operation_state
    if last is not None and not last.completed:
        return AutoSyncDecision(False, "another operation is in progress")
    if str(compare.sync_status) != "OutOfSync":
        return AutoSyncDecision(False, f"app is {compare.sync_status}, nothing to sync")
    automated = spec.automated
    assert automated is not None
    if desired_count(compare) == 0 and automated.prune and not automated.allow_empty:
        return AutoSyncDecision(
            False,
            "refusing to prune every resource: Git has none (set syncPolicy.automated.allowEmpty to allow)",
        )
    if last is None or last.operation.sync.revision != revision:
        return AutoSyncDecision(True, f"OutOfSync, new revision {revision[:12]}")
    if last.phase == FAILED or last.phase == "Error":
        message = f"failed sync attempt to {revision}: {last.message}"
        return AutoSyncDecision(
            False,
            f"skipping: the last sync of {revision[:12]} failed; waiting for a new commit",
            sync_error=message,
        )
    if last.phase == SUCCEEDED:
        if not automated.self_heal:
            return AutoSyncDecision(False, f"skipping: already synced to {revision[:12]} (selfHeal is off)")
        attempts = last.operation.sync.self_heal_attempts_count
        finished = from_rfc3339(last.finished_at) if last.finished_at else now
        retry_at = finished + timedelta(seconds=self_heal_delay(attempts))
        if now < retry_at:
            return AutoSyncDecision(
                False, f"self-heal backoff until {retry_at.isoformat()}", retry_at=retry_at
            )
        return AutoSyncDecision(True, f"self-heal: live state drifted from {revision[:12]}")
    return AutoSyncDecision(False, f"last operation is {last.phase}")


def automated_sync_operation(
    spec: ApplicationSyncSpec,
    status: ApplicationStatus,
    revision: str,
    *,
    source: dict[str, object] | None = None,
) -> Operation:
    """The operation an automated sync starts: prune per policy, selfHeal attempts counted per revision."""
    automated = spec.automated
    last = status.operation_state
    attempts = 0
    if (
        last is not None
        and last.operation.sync.revision == revision
        and last.operation.initiated_by.automated
    ):
        attempts = last.operation.sync.self_heal_attempts_count + 1
    return Operation(
        sync=SyncOperation(
            revision=revision,
            prune=bool(automated and automated.prune),
            sync_options=spec.sync_options.as_list(),
            source=dict(source) if source else None,
            self_heal_attempts_count=attempts,
        ),
        initiated_by=InitiatedBy(username="automated-sync", automated=True),
        retry=spec.effective_retry(automated_operation=True).to_dict(),
    )
