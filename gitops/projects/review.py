"""The fleet review a worker runs on every refreshed status and before every sync, from management
cluster data only (Applications, AppProjects, cluster Secrets; no call to the destination cluster).

`FleetInputs.load(registry, list_secrets)` reads the three lists. `FleetInputsCache` keeps them a few
seconds per process; with `watched` (a worker's gitops.registry.watched.ManagementCache) AppProjects
and cluster Secrets come from the process's watch-fed cache instead (current within the watch's
latency, a direct LIST while it is not synced), and Applications are listed only when a review
needs them (the app has dependencies, or it just became ready and its dependents are looked up):
at most every TTL, or at once when `fresh` and the app has dependencies.
`review_app(app, status, inputs, now, manual=...) -> FleetReview` returns the status with the fleet's
verdicts and whether a sync may start now:
- unknown project or cluster, repo or destination refused by the project: InvalidSpecError, sync
  status Unknown, no sync;
- resources whose kind or namespace the project forbids: their sync status Unknown (reason in their
  health message), no sync, nothing applied;
- dependencies (`bosun.dev/depends-on`): a cycle is an InvalidSpecError naming it; otherwise the
  DependencyWaiting condition says what the app waits for, no sync until they are ready;
- sync windows: automated syncs only when the project's windows allow; manual ones when allowed or
  when every active deny window has manualSync.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gitops.clusters.catalog import ClusterCatalog
from gitops.clusters.secrets import ClusterRecord
from gitops.dependencies import DEPENDENCY_CONDITION, dependencies_of, dependency_gate, readiness
from gitops.errors import SpecError
from gitops.model.operation import operation_not_started
from gitops.model.timefmt import now_utc, to_rfc3339
from gitops.projects.checks import forbidden_summary, mark_forbidden, resolve_project, spec_violations
from gitops.projects.model import AppProject
from gitops.projects.permissions import destination_permitted, kind_permitted
from gitops.projects.windows import sync_allowed
from gitops.registry.redaction import redact_operation, redact_status
from gitops.tracking import ResourceKey

Obj = dict[str, Any]
INVALID_SPEC = "InvalidSpecError"


class RegistryReader(Protocol):
    def applications(self) -> list[Obj]: ...

    def projects(self) -> list[Obj]: ...


@dataclass(frozen=True)
class FleetInputs:
    projects: Mapping[str, Obj]
    apps: Mapping[str, Obj]
    catalog: ClusterCatalog

    @classmethod
    def load(
        cls, registry: RegistryReader, list_secrets: Callable[[], Iterable[Mapping[str, Any]]]
    ) -> FleetInputs:
        return cls(
            projects={p["metadata"]["name"]: p for p in registry.projects()},
            apps={a["metadata"]["name"]: a for a in registry.applications()},
            catalog=ClusterCatalog.from_secrets(list_secrets()),
        )


class _LazyApps(Mapping[str, Obj]):
    """Applications by name, listed on first use (most reviews never look at other apps)."""

    def __init__(self, load: Callable[[], Mapping[str, Obj]]) -> None:
        self._load = load
        self._apps: Mapping[str, Obj] | None = None

    def _loaded(self) -> Mapping[str, Obj]:
        if self._apps is None:
            self._apps = self._load()
        return self._apps

    def __getitem__(self, name: str) -> Obj:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


class WatchedInputs(Protocol):
    def projects(self) -> Mapping[str, Obj]: ...

    def catalog(self) -> ClusterCatalog: ...


class FleetInputsCache:
    """Per-process cache of FleetInputs; `get(fresh=True)` before a sync decision."""

    def __init__(
        self,
        registry: RegistryReader,
        list_secrets: Callable[[], Iterable[Mapping[str, Any]]],
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        watched: WatchedInputs | None = None,
    ) -> None:
        self.registry, self.list_secrets, self.ttl, self.clock = registry, list_secrets, ttl, clock
        self.watched = watched
        self._held: tuple[float, FleetInputs] | None = None
        self._apps: tuple[float, Mapping[str, Obj]] | None = None
        self._lock = threading.Lock()

    def get(self, *, fresh: bool = False, fresh_apps: bool = True) -> FleetInputs:
        """`fresh`: re-read now; `fresh_apps=False` re-reads only AppProjects and cluster Secrets and
        keeps the held Application list (an app without dependencies needs no other app's status, and
        listing every Application before each sync made a fleet's syncs quadratic). With `watched`,
        AppProjects and cluster Secrets are always the watched ones, whatever `fresh` says."""
        if self.watched is not None:
            apps = _LazyApps(lambda: self._applications(fresh and fresh_apps))
            return FleetInputs(self.watched.projects(), apps, self.watched.catalog())
        with self._lock:
            now = self.clock()
            held = self._held
            if fresh and not fresh_apps and held is not None and now - held[0] < self.ttl:
                projects = {p["metadata"]["name"]: p for p in self.registry.projects()}
                return FleetInputs(projects, held[1].apps, ClusterCatalog.from_secrets(self.list_secrets()))
            if fresh or held is None or now - held[0] >= self.ttl:
                held = self._held = (now, FleetInputs.load(self.registry, self.list_secrets))
            return held[1]

    def _applications(self, fresh: bool) -> Mapping[str, Obj]:
        with self._lock:
            now = self.clock()
            if fresh or self._apps is None or now - self._apps[0] >= self.ttl:
                self._apps = (now, {a["metadata"]["name"]: a for a in self.registry.applications()})
            return self._apps[1]


@dataclass(frozen=True)
class FleetReview:
    status: Obj
    sync_allowed: bool
    reason: str
    cluster: ClusterRecord | None = None
    project: AppProject | None = None
    waiting_for: tuple[str, ...] = ()  # dependencies (bosun.dev/depends-on) this app waits for
    became_ready: bool = False  # Synced and Healthy now, not before: its waiting dependents go next


def _set_condition(status: Obj, previous: Mapping[str, Any], kind: str, message: str, at: str) -> None:
    old = next((c for c in (previous.get("conditions") or []) if c.get("type") == kind), None)
    since = old.get("lastTransitionTime") if old and old.get("message") == message else at
    conditions = [
        c for c in status.get("conditions") or [] if c.get("type") != kind or c.get("message") != message
    ]
    conditions.append({"type": kind, "message": message, "lastTransitionTime": since or at})
    status["conditions"] = conditions


def _drop_condition(status: Obj, kind: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    if not status["conditions"]:
        status.pop("conditions")


def forbidden_in_status(
    project: AppProject, status: Mapping[str, Any], cluster: ClusterRecord
) -> dict[ResourceKey, str]:
    """Resources of a compared status the project forbids (kinds, or namespaces on this cluster)."""
    forbidden: dict[ResourceKey, str] = {}
    for entry in status.get("resources") or []:
        if entry.get("requiresPruning"):
            continue
        key = ResourceKey(str(entry.get("group") or ""), str(entry.get("kind") or ""),
                          str(entry.get("namespace") or ""), str(entry.get("name") or ""))  # fmt: skip
        namespaced = bool(key.namespace)
        if not kind_permitted(project, key.group, key.kind, namespaced):
            which = "namespaceResourceWhitelist" if namespaced else "clusterResourceWhitelist"
            forbidden[key] = (
                f"resource {key.group or 'core'}:{key.kind} ({'namespaced' if namespaced else 'cluster-scoped'}) "
                f"is not permitted in project '{project.name}' (add it to the project's {which})"
            )
        elif namespaced and not destination_permitted(project, cluster.server, cluster.name, key.namespace):
            forbidden[key] = (
                f"namespace {key.namespace} is not permitted in project '{project.name}' on cluster '{cluster.name}'"
            )
    return forbidden


def review_app(
    app: Mapping[str, Any], status: Mapping[str, Any], inputs: FleetInputs, now: datetime, *, manual: bool
) -> FleetReview:
    name = str((app.get("metadata") or {}).get("name") or "")
    spec = app.get("spec") or {}
    previous = app.get("status") or {}
    at = to_rfc3339(now)
    result: Obj = copy.deepcopy(dict(status))
    try:
        project = resolve_project(name, str(spec.get("project") or ""), inputs.projects)
        cluster = inputs.catalog.resolve(spec.get("destination") or {}, name)
        violations = spec_violations(project, app, cluster.server, cluster.name)
        if violations:
            raise SpecError("; ".join(violations), app=name, target=f"AppProject {project.name}")
    except SpecError as err:
        _set_condition(result, previous, INVALID_SPEC, str(err), at)
        result.setdefault("sync", {})["status"] = "Unknown"
        return FleetReview(result, False, str(err))
    forbidden = forbidden_in_status(project, result, cluster)
    mark_forbidden(result, forbidden)
    apps = {**inputs.apps, name: dict(app)} if dependencies_of(dict(app)) else {name: dict(app)}
    gate = dependency_gate(name, apps)  # this app's newest copy; other apps only if it has dependencies
    _drop_condition(result, DEPENDENCY_CONDITION)
    if gate.cycle:
        _set_condition(result, previous, INVALID_SPEC, gate.message, at)
    elif not gate.ready:
        _set_condition(result, previous, DEPENDENCY_CONDITION, gate.message, at)
    if forbidden:
        reason = "sync refused, nothing applied: " + forbidden_summary(project, forbidden)
        return FleetReview(result, False, reason, cluster, project)
    if not gate.ready:
        return FleetReview(result, False, gate.message, cluster, project, waiting_for=tuple(gate.waiting_for))
    allowed, reason = sync_allowed(
        project, app, now, manual, server=cluster.server, cluster_name=cluster.name
    )
    return FleetReview(result, allowed, reason, cluster, project)


def review_refresh(
    cache: FleetInputsCache, app: Mapping[str, Any], status: Mapping[str, Any], *, start_sync: bool
) -> FleetReview:
    """The worker's call after the reconciler's refresh (fresh inputs when a sync may start).
    `became_ready` tells the worker the app has just become ready (Synced and Healthy), so the apps
    waiting for it (recorded from their `waiting_for`) refresh at once instead of at their next
    periodic refresh; no Application list is needed for that."""
    inputs = cache.get(fresh=start_sync, fresh_apps=bool(dependencies_of(dict(app))))
    review = review_app(app, status, inputs, now_utc(), manual=False)
    became_ready = readiness({**app, "status": review.status}) is None and readiness(app) is not None
    return dataclasses.replace(review, became_ready=became_ready) if became_ready else review


def first_step_refusal(cache: FleetInputsCache, app: Mapping[str, Any]) -> str | None:
    """The worker's call before a sync step: None to go on; else why the operation must not start.
    Only an operation that has not started yet is checked (a running one is never cut short)."""
    if not operation_not_started(app):
        return None
    automated = bool(((app.get("operation") or {}).get("initiatedBy") or {}).get("automated"))
    inputs = cache.get(fresh=True, fresh_apps=bool(dependencies_of(dict(app))))
    review = review_app(app, app.get("status") or {}, inputs, now_utc(), manual=not automated)
    return None if review.sync_allowed else review.reason


def refused_operation_status(app: Mapping[str, Any], reason: str) -> Obj:
    """The app's status with its requested operation recorded as Failed (nothing was applied)."""
    at = to_rfc3339(now_utc())
    status: Obj = copy.deepcopy(dict(app.get("status") or {}))
    status.pop("bosun", None)
    status["operationState"] = {
        "operation": redact_operation(app.get("operation")),  # no password from a repoURL
        "phase": "Failed",
        "message": f"sync refused before anything was applied: {reason}",
        "startedAt": at,
        "finishedAt": at,
    }
    return redact_status(status)
