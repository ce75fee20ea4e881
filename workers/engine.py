"""The engine-backed Reconciler the workers run: source (resolve, render or cache), destination
cluster (gitops.clusters via the app's project), compare, health, status composition, the
automated-sync decision, and one SyncEngine pass per sync step. Project, window and dependency
reviews are applied by the tasks (gitops.projects.review). Built once per worker process.

AppProjects, cluster Secrets and repository Secrets come from the process's watch-fed cache
(`ctx.management`, gitops.registry.watched): no LIST of them per refresh or step. Every operation and
status it returns has userinfo stripped from its sources' repoURLs (gitops.registry.redaction)."""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gitops.appofapps import place_children
from gitops.cache import RedisCache
from gitops.clusters import ClusterPorts, unreachable_message
from gitops.clusters.ports import in_cluster_port
from gitops.compare import compare_app
from gitops.coordination import redis_client
from gitops.errors import BosunError, ClusterError, SourceError, SpecError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.compose import compose_status
from gitops.model.operation import Operation
from gitops.model.status import ApplicationStatus
from gitops.model.timefmt import to_rfc3339
from gitops.projects.checks import forbidden_summary
from gitops.projects.gate import FleetTarget, fleet_target, resource_gate
from gitops.projects.review import refused_operation_status
from gitops.registry import management_api_client
from gitops.registry.redaction import redact_operation, redact_status
from gitops.source.git_setup import build_git_source
from gitops.source.live_credentials import RefreshingCredentials
from gitops.source.repo_url import strip_userinfo
from gitops.source.service import DesiredState, SourceService
from gitops.source.spec import parse_application
from gitops.sync.engine import SyncEngine, SyncInputs
from gitops.sync.live import load_live
from gitops.sync.retry import automated_sync_operation, should_auto_sync
from workers.context import WorkerContext
from workers.git_stats import GitStatsPusher
from workers.opstore import StatusOperationStore
from workers.ports import RefreshOutcome, StepOutcome

Obj = dict[str, Any]
log = logging.getLogger(__name__)
HANDOFF_SECONDS = 5.0


def _name(app: Mapping[str, Any]) -> str:
    return str((app.get("metadata") or {}).get("name") or "")


def _namespace(app: Mapping[str, Any]) -> str:
    return str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")


def _without_url_credentials(operation: Operation) -> Operation:
    """The operation with userinfo taken out of its source's repoURL: operations are written to the
    Application and its status (history, syncResult), where no password may appear. (Multi-source
    `sync.sources` are not part of the Operation model; `redact_operation` / `redact_status` clean
    them in the dicts the reconciler returns.)"""
    source = operation.sync.source
    if isinstance(source, dict) and isinstance(source.get("repoURL"), str):
        operation.sync.source = {**source, "repoURL": strip_userinfo(source["repoURL"])[0]}
    return operation


@dataclass
class Handoff:
    """What the refresh that decided an automated sync loaded (manifests and the compare's live
    objects), for that sync's first step when it runs in the same task right after (workers/refresh.py):
    one render-cache read and one LIST per kind fewer. Used once, for the same app and revision, and
    only within HANDOFF_SECONDS."""

    app: str
    revision: str
    desired: list[Obj]
    compare: Any
    at: float

    def serves(self, app: str, revision: str) -> bool:
        fresh = time.monotonic() - self.at < HANDOFF_SECONDS
        return fresh and app == self.app and bool(revision) and revision == self.revision


class EngineReconciler:
    """Reconciler over the real engine parts; one per worker process."""

    def __init__(self, ctx: WorkerContext) -> None:
        settings = ctx.settings
        self.ctx = ctx
        self.settings = settings
        self._handoff: Handoff | None = None
        cache = RedisCache(redis_client(settings, decode_responses=False))  # bytes; TLS as configured
        git = build_git_source(settings, cache)  # Secrets: watched below, so new ones need no restart
        watched = ctx.management
        credentials = RefreshingCredentials(
            lambda: watched.repository_secrets.list_now().items,
            git.credentials,
            watched=watched.repository_secrets.current,
        )
        self.metrics = git.metrics
        self.git_stats = GitStatsPusher(git.metrics, ctx.stats)  # pushed after each refresh and step
        self.source = SourceService(git.resolver, git.mirrors, cache, settings, credentials=credentials,
                                    metrics=git.metrics, keys=ctx.keys)  # fmt: skip
        self.ports = ClusterPorts(settings, lambda: watched.cluster_secrets.list_now().items,
                                  lambda: in_cluster_port(management_api_client(settings), settings),
                                  catalog_source=watched.catalog)  # fmt: skip

    # --- helpers ---
    def _target(self, app: Mapping[str, Any]) -> FleetTarget:
        return fleet_target(app, self.ports, self.ctx.management.projects())

    def _desired(self, app: Mapping[str, Any], hard: bool, revision: str | None = None) -> DesiredState:
        resource = copy.deepcopy(dict(app))
        if revision:
            source = (resource.get("spec") or {}).get("source")
            if isinstance(source, dict) and not (resource["spec"].get("sources")):
                source["targetRevision"] = revision
        desired = self.source.desired_state(parse_application(resource), force=hard)
        destination = (resource.get("spec") or {}).get("destination") or {}
        objects = place_children(
            _name(app), desired.objects, self.settings.namespace, destination
        )  # app of apps
        return desired if objects is desired.objects else dataclasses.replace(desired, objects=objects)

    @staticmethod
    def _failed(previous: ApplicationStatus, condition: str, error: BosunError, now: datetime) -> Obj:
        status = copy.deepcopy(previous)
        at = to_rfc3339(now)
        status.reconciled_at = at
        status.sync.status = "Unknown"
        for kind in ("InvalidSpecError", "ComparisonError"):
            status.clear_condition(kind)
        status.set_condition(condition, str(error), at)
        return status.to_dict()

    # --- Reconciler ---
    def refresh(self, app: Mapping[str, Any], hard: bool) -> RefreshOutcome:
        try:
            outcome = self._refresh(app, hard)
        finally:
            self._push_stats()
        outcome.status = redact_status(outcome.status)
        if outcome.operation is not None:
            outcome.operation = redact_operation(outcome.operation)
        return outcome

    def sync_step(self, app: Mapping[str, Any]) -> StepOutcome:
        try:
            outcome = self._sync_step(app)
        finally:
            self._push_stats()
        outcome.status = redact_status(outcome.status)
        return outcome

    def _push_stats(self) -> None:
        try:
            self.git_stats.push()
        except Exception as exc:  # Redis down: the deltas go with the next push
            log.warning("cannot push source counters to Redis: %s", type(exc).__name__)

    def _refresh(self, app: Mapping[str, Any], hard: bool) -> RefreshOutcome:
        self._handoff = None  # a handoff bridges one refresh and the step right after it, nothing else
        name, namespace = _name(app), _namespace(app)
        now = datetime.now(UTC)
        previous = ApplicationStatus.from_dict(app.get("status"))
        try:
            spec = ApplicationSyncSpec.from_spec(name, app.get("spec") or {})
            target = self._target(app)
        except SpecError as err:
            return RefreshOutcome(
                self._failed(previous, "InvalidSpecError", err, now), summary=f"invalid spec: {err}"
            )
        try:
            desired = self._desired(app, hard)
        except SpecError as err:
            return RefreshOutcome(
                self._failed(previous, "InvalidSpecError", err, now), summary=f"invalid spec: {err}"
            )
        except SourceError as err:
            return RefreshOutcome(
                self._failed(previous, "ComparisonError", err, now), summary=f"source error: {err}"
            )
        revision = desired.revisions[0] if desired.revisions else ""
        try:
            compare = compare_app(target.port, name, desired.objects, destination_namespace=namespace,
                                  previous_resources=(app.get("status") or {}).get("resources") or [],
                                  ignore_differences=spec.ignore_differences)  # fmt: skip
        except (ClusterError, SpecError) as err:
            return RefreshOutcome(
                self._failed(previous, "ComparisonError", err, now), summary=f"compare failed: {err}"
            )
        composed = compose_status(previous, compare, revision=revision, now=now,
                                  operation_state=previous.operation_state, history=previous.history,
                                  source_type=desired.source_type,
                                  revisions=list(desired.revisions) if len(desired.revisions) > 1 else None)  # fmt: skip
        for kind in ("InvalidSpecError", "ComparisonError"):
            composed.clear_condition(kind)
        if compare.error is not None:
            message = unreachable_message(target.cluster, compare.error)
            composed.set_condition("ComparisonError", message, to_rfc3339(now))
        status = composed.to_dict()
        decision = should_auto_sync(spec, ApplicationStatus.from_dict(status), compare, revision, now)
        outcome = RefreshOutcome(status, summary=f"{status['sync'].get('status')} / "
                                 f"{(status.get('health') or {}).get('status')} at {revision[:12]}")  # fmt: skip
        if decision.sync_error:
            state = ApplicationStatus.from_dict(status)
            state.set_condition("SyncError", decision.sync_error, to_rfc3339(now))
            outcome.status = state.to_dict()
        if decision.run:
            operation = _without_url_credentials(
                automated_sync_operation(spec, ApplicationStatus.from_dict(status), revision)
            )
            outcome.start_sync = True
            outcome.operation = operation.to_dict()
            self._handoff = Handoff(name, revision, desired.objects, compare, time.monotonic())
        elif decision.retry_at is not None:
            outcome.refresh_in = max(0.0, (decision.retry_at - now).total_seconds())
        return outcome

    def _sync_step(self, app: Mapping[str, Any]) -> StepOutcome:
        name, namespace = _name(app), _namespace(app)
        store = StatusOperationStore(name, app.get("status"))
        spec = ApplicationSyncSpec.from_spec(name, app.get("spec") or {})
        target = self._target(app)
        engine = SyncEngine(target.port, store, settings=self.settings, poll_interval=0.5)
        expired = engine.expire(spec)  # the timeout holds even when the inputs below cannot be loaded
        if expired is not None:
            return StepOutcome(store.status, done=True, summary=f"{expired.phase}: {expired.message}")
        state = store.load(name)
        handoff, self._handoff = self._handoff, None
        inputs: SyncInputs | None = None
        if app.get("operation") and (state is None or state.completed):
            operation = self._pinned(app, Operation.from_dict(app["operation"]))
            if handoff is not None and handoff.serves(name, operation.sync.revision):
                desired = handoff.desired  # the refresh that started this sync, moments ago
                inputs = SyncInputs.from_compare(desired, handoff.compare)
            else:
                desired = self._desired(app, hard=False, revision=operation.sync.revision or None).objects
            forbidden = resource_gate(target, desired, namespace)  # the manifests this operation syncs
            if forbidden:
                reason = forbidden_summary(target.project, forbidden)
                return StepOutcome(refused_operation_status(app, reason), done=True, summary=reason)
            state = engine.start(spec, operation)
        else:
            assert state is not None
            desired = self._desired(app, hard=False, revision=state.operation.sync.revision or None).objects
        try:
            live = inputs.live if inputs is not None else load_live(
                target.port, name, desired, destination_namespace=namespace)  # fmt: skip
        except ClusterError as err:  # e.g. 503 from the API server: try again, the timeout still holds
            return StepOutcome(store.status, done=False, summary=f"Running: live state not read: {err}",
                               countdown=self.settings.sync_step_countdown_seconds)  # fmt: skip
        result = engine.step(spec, inputs or SyncInputs(desired=desired, live=live))
        return StepOutcome(store.status, done=result.finished, summary=f"{result.phase}: {result.message}",
                           countdown=result.next_step_delay)  # fmt: skip

    def diff(self, app: Mapping[str, Any]) -> tuple[str, list[Obj]]:
        """(revision, per-resource differences) between Git and the cluster, computed as a refresh
        compares (Secret values masked); for `GET .../diff`. Raises SpecError, SourceError or
        ClusterError when the app cannot be compared."""
        name = _name(app)
        spec = ApplicationSyncSpec.from_spec(name, app.get("spec") or {})
        desired = self._desired(app, hard=False)
        compare = compare_app(self._target(app).port, name, desired.objects, destination_namespace=_namespace(app),
                              previous_resources=(app.get("status") or {}).get("resources") or [],
                              ignore_differences=spec.ignore_differences)  # fmt: skip
        if compare.error is not None:
            raise ClusterError(f"live state could not be read: {compare.error}", app=name)
        diffs = [{**r.to_dict(), "diff": r.diff} for r in compare.resources if r.diff and r.counts]
        return (desired.revisions[0] if desired.revisions else ""), diffs

    def _pinned(self, app: Mapping[str, Any], operation: Operation) -> Operation:
        """The operation with its revision resolved and its source recorded, as Argo CD does when an
        operation starts: every step deploys the same commit, and the history entry names the
        revision and source a rollback needs."""
        spec = app.get("spec") or {}
        if operation.sync.source is None and not spec.get("sources") and isinstance(spec.get("source"), dict):
            operation.sync.source = copy.deepcopy(spec["source"])
        operation = _without_url_credentials(operation)  # also a `sync.source` the request gave
        if spec.get("sources"):
            return operation  # multi-source: revisions are per source (recorded in syncResult)
        if not operation.sync.revision:
            revisions = self._desired(app, hard=False).revisions
            operation.sync.revision = revisions[0] if revisions else ""
        return operation


def build_reconciler(ctx: WorkerContext) -> EngineReconciler:
    return EngineReconciler(ctx)
