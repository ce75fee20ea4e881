"""The re-entrant sync state machine, modelled on gitops-engine's sync context.

`SyncEngine.start()` records a new operation; each `step()` loads its state from the `OperationStore`,
does ONE pass and saves it. A pass: (1) first pass only: create the namespace if asked, check shared
resources and allowEmpty, dry-run everything (any error fails the operation); (2) update running hooks
from their health; (3) return Running while hooks, the last wave's health or pruned objects are in
flight; (4) on failure run SyncFail hooks, then fail (or schedule a retry); (5) Succeeded when nothing
is pending; (6) otherwise apply the lowest pending (phase, wave) and return. `StepResult.next_step_delay`
says when the caller should run the next step (None once the operation is complete). A pass that
needs no wait is followed by the next one within the same step.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gitops.cluster.port import ClusterPort
from gitops.errors import BosunError, ClusterError, SpecError, SyncError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.history import history_entry_for
from gitops.model.operation import (
    ERROR,
    FAILED,
    RUNNING,
    SUCCEEDED,
    TERMINATING,
    Operation,
    OperationState,
    SyncResult,
)
from gitops.model.timefmt import from_rfc3339, now_utc, to_rfc3339
from gitops.settings import Settings, get_settings
from gitops.sync.actions import ClusterActions
from gitops.sync.context import Outcome, PassContext
from gitops.sync.passes import run_pass
from gitops.sync.retry import backoff_delay, is_transient, retries_left, transient_delay
from gitops.sync.store import OperationStore
from gitops.sync.tasks import Obj
from gitops.tracking import ResourceKey

log = logging.getLogger(__name__)
HealthAssessor = Callable[[dict[str, Any]], Any]
MAX_PASSES_PER_STEP = 16


@dataclass
class SyncInputs:
    """What the caller loads for each step: the operation revision's manifests and the live objects
    (those tracked by the app plus any found at a desired object's key)."""

    desired: list[Obj]
    live: list[Obj]
    out_of_sync: set[ResourceKey] | None = None
    prune_confirmed: bool = False

    @classmethod
    def from_compare(cls, desired: list[Obj], compare: Any, *, prune_confirmed: bool = False) -> SyncInputs:
        """Inputs from a `gitops.compare.CompareResult` of the same revision (its live objects and verdicts)."""
        live = [r.live for r in compare.resources if r.live is not None]
        out_of_sync = {r.key for r in compare.resources if str(r.status) == "OutOfSync" or r.live is None}
        return cls(desired=desired, live=live, out_of_sync=out_of_sync, prune_confirmed=prune_confirmed)


@dataclass
class StepResult:
    phase: str
    message: str
    next_step_delay: float | None
    state: OperationState | None

    @property
    def finished(self) -> bool:
        return self.next_step_delay is None


def _default_assess(obj: dict[str, Any]) -> Any:
    from gitops.health import assess

    return assess(obj)


class SyncEngine:
    def __init__(
        self,
        cluster: ClusterPort,
        store: OperationStore,
        *,
        settings: Settings | None = None,
        assess: HealthAssessor | None = None,
        poll_interval: float = 1.0,
        clock: Callable[[], datetime] = now_utc,
        passes_per_step: int = MAX_PASSES_PER_STEP,
    ) -> None:
        self.cluster = cluster
        self.passes_per_step = max(1, passes_per_step)
        self.store = store
        self.settings = settings or get_settings()
        self.assess = assess or _default_assess
        self.poll_interval = poll_interval
        self.clock = clock

    # --- operation lifecycle ---
    def start(self, spec: ApplicationSyncSpec, operation: Operation) -> OperationState:
        """Record a new operation (Running); SyncError if one is already in progress."""
        current = self.store.load(spec.app_name)
        if current is not None and not current.completed:
            raise SyncError(
                "another operation is already in progress",
                app=spec.app_name,
                hint="wait for it to finish or terminate it",
            )
        now = self.clock()
        state = OperationState(
            operation=operation,
            phase=RUNNING,
            message="",
            sync_result=SyncResult(revision=operation.sync.revision, source=operation.sync.source),
            started_at=to_rfc3339(now),
            bosun={
                "operationId": uuid.uuid4().hex[:12],
                "attempt": 0,
                "attemptStartedAt": int(now.timestamp()),
                "operationStartedAt": now.timestamp(),
            },
        )
        self.store.save(spec.app_name, state)
        return state

    def request_termination(self, app: str) -> bool:
        """Ask the running operation to stop; the next step deletes running hooks and fails it."""
        state = self.store.load(app)
        if state is None or state.completed:
            return False
        state.phase = TERMINATING
        state.message = "terminating: requested by user"
        self.store.save(app, state)
        return True

    # --- one step ---
    def step(self, spec: ApplicationSyncSpec, inputs: SyncInputs) -> StepResult:
        app = spec.app_name
        state = self.store.load(app)
        if state is None or state.completed:
            return StepResult(state.phase if state else "", state.message if state else "", None, state)
        now = self.clock()
        now_unix = now.timestamp()
        book = state.bosun
        actions = ClusterActions(
            self.cluster,
            field_manager=self.settings.field_manager,
            app=app,
            tracking_annotation=self.settings.tracking_annotation,
        )
        if state.phase == TERMINATING:
            return self._terminate(spec, state, actions, "Operation terminated by request")
        if self.timed_out(state, now):  # first, before any wait or pass: retries never extend it
            return self._terminate(spec, state, actions, self.timeout_message())
        wait_until = float(book.get("nextAttemptAt") or 0)
        if state.phase == RUNNING and wait_until > now_unix:
            return StepResult(RUNNING, state.message, wait_until - now_unix, state)
        context = PassContext(
            spec=spec,
            state=state,
            inputs_desired=inputs.desired,
            inputs_live=inputs.live,
            out_of_sync=inputs.out_of_sync,
            prune_confirmed=inputs.prune_confirmed,
            actions=actions,
            assess=self.assess,
            poll_interval=self.poll_interval,
            tracking_annotation=self.settings.tracking_annotation,
        )
        try:
            outcome = self._passes(context)
            book.pop("transientAttempts", None)
        except ClusterError as err:
            if not is_transient(err):
                outcome = Outcome(FAILED, f"{err}")
            else:
                attempts = int(book.get("transientAttempts") or 0)
                book["transientAttempts"] = attempts + 1
                delay = transient_delay(err, attempts)
                state.message = (
                    f"waiting {delay:g}s after a transient API error (HTTP {err.code}): {err.message}"
                )
                self.store.save(app, state)
                return StepResult(RUNNING, state.message, delay, state)
        except BosunError as err:
            outcome = Outcome(FAILED, str(err), retryable=not isinstance(err, SpecError))
        except Exception as err:  # a bug or an unmapped client error: Argo CD's phase Error, never a loop
            log.exception("sync step of app %s failed unexpectedly", app)
            outcome = Outcome(
                ERROR, f"internal error during sync: {type(err).__name__}: {err}", retryable=False
            )
        return self._conclude(spec, state, outcome, now)

    def _passes(self, context: PassContext) -> Outcome:
        """Passes until one must wait: a pass that needs no wait (a dry run done, a wave of kinds
        without a health rule applied) is followed at once by the next in this step, instead of by a
        step task queued with no delay (at most `passes_per_step`, so a step stays short)."""
        outcome = run_pass(context)
        for _ in range(self.passes_per_step - 1):
            if outcome.phase != RUNNING or not outcome.immediate:
                break
            outcome = run_pass(context)
        return outcome

    def timed_out(self, state: OperationState, now: datetime) -> bool:
        """True once the operation has run longer than `sync_timeout_seconds`, counted from its start
        (as Argo CD's controller counts from `operationState.startedAt`), retries included."""
        started = float(state.bosun.get("operationStartedAt") or 0)
        if not started and state.started_at:
            started = from_rfc3339(state.started_at).timestamp()
        return bool(started) and now.timestamp() - started > self.settings.sync_timeout_seconds

    def timeout_message(self) -> str:
        return (
            f"Operation timed out after {self.settings.sync_timeout_seconds}s and was terminated "
            "(running hooks deleted; raise BOSUN_SYNC_TIMEOUT_SECONDS if the app needs longer)"
        )

    def expire(self, spec: ApplicationSyncSpec) -> StepResult | None:
        """Terminate the app's operation if it is past its timeout (used by callers that cannot
        load the step's inputs, e.g. the cluster is failing); None when it has time left."""
        state = self.store.load(spec.app_name)
        if state is None or state.completed or not self.timed_out(state, self.clock()):
            return None
        actions = ClusterActions(self.cluster, field_manager=self.settings.field_manager,
                                 app=spec.app_name, tracking_annotation=self.settings.tracking_annotation)  # fmt: skip
        return self._terminate(spec, state, actions, self.timeout_message())

    # --- endings ---
    def _conclude(
        self, spec: ApplicationSyncSpec, state: OperationState, outcome: Outcome, now: datetime
    ) -> StepResult:
        app = spec.app_name
        if outcome.phase == RUNNING:
            state.phase = RUNNING
            state.message = outcome.message
            current = self.store.load(app)
            if current is not None and current.phase == TERMINATING:
                state.phase, state.message = TERMINATING, current.message  # asked while this step ran
                outcome.delay = 0.0
            self.store.save(app, state)
            return StepResult(state.phase, state.message, outcome.delay, state)
        if outcome.phase == FAILED and outcome.retryable and self._retry(spec, state, outcome.message, now):
            self.store.save(app, state)
            return StepResult(
                RUNNING, state.message, float(state.bosun["nextAttemptAt"]) - now.timestamp(), state
            )
        state.phase = outcome.phase
        state.message = outcome.message
        state.finished_at = to_rfc3339(now)
        entry = history_entry_for(state, self.store.history(app)) if outcome.phase == SUCCEEDED else None
        self.store.finish(app, state, entry, spec.revision_history_limit)
        return StepResult(state.phase, state.message, None, state)

    def _retry(self, spec: ApplicationSyncSpec, state: OperationState, message: str, now: datetime) -> bool:
        """Schedule another attempt when the retry strategy allows; resets the attempt's progress."""
        from gitops.model.application import RetryStrategy

        op = state.operation
        if op.retry is not None:
            strategy = RetryStrategy.from_dict(op.retry, where="operation.retry")
        else:
            strategy = spec.effective_retry(automated_operation=op.initiated_by.automated)
        if not retries_left(strategy, state.retry_count):
            return False
        delay = backoff_delay(strategy.backoff, state.retry_count)
        state.retry_count += 1
        start_at = now.timestamp() + delay
        state.phase = RUNNING
        state.message = f"Retrying attempt #{state.retry_count} in {delay:g}s: {message}"
        state.sync_result.resources = []
        book = state.bosun
        for transient in (
            "dryRunDone",
            "failure",
            "syncFailStarted",
            "lastGroup",
            "pruning",
            "transientAttempts",
        ):
            book.pop(transient, None)
        book["attempt"] = int(book.get("attempt") or 0) + 1
        book["attemptStartedAt"] = int(start_at)
        book["nextAttemptAt"] = start_at
        return True

    def _terminate(
        self, spec: ApplicationSyncSpec, state: OperationState, actions: ClusterActions, message: str
    ) -> StepResult:
        """Delete running hooks and fail the operation (no retry, no SyncFail hooks)."""
        for result in state.sync_result.resources:
            if result.hook_type and result.hook_phase == RUNNING:
                api_version = f"{result.group}/{result.version}" if result.group else result.version
                try:
                    info = self.cluster.resource_for(api_version, result.kind)
                    self.cluster.delete(info, result.namespace or None, result.name, propagation="Background")
                except ClusterError as err:
                    result.message = f"could not delete hook: {err.message}"
                result.hook_phase = FAILED
                result.message = result.message or "hook terminated"
        state.phase = FAILED
        state.message = message
        state.finished_at = to_rfc3339(self.clock())
        self.store.finish(spec.app_name, state, None, spec.revision_history_limit)
        return StepResult(FAILED, message, None, state)
