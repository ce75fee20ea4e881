"""v1 clusters and projects API: list/add/remove cluster Secrets (with connection status, server
version and app count), list/get AppProjects (with sync windows' current state). Reads need the read
or write token, writes the write token. Credentials are accepted on add and never returned."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gitops.cluster.kube import KubeClusterPort
from gitops.clusters import ClusterPorts, ClusterRecord, cluster_secret, probe
from gitops.clusters.store import ClusterSecretStore
from gitops.errors import BosunError, ClusterError, ConfigError, SpecError
from gitops.projects import AppProject, sync_allowed, window_active, window_applies
from scheduler.api.auth import require_read, require_write
from scheduler.api.state import ServerState

router = APIRouter(prefix="/api/v1")
Obj = dict[str, Any]


class Fleet:
    """The API process's cluster store and ports (one per cluster, probed for `cluster list`)."""

    def __init__(self, state: ServerState) -> None:
        api_client = state.registry.api.api_client
        self.store = ClusterSecretStore(api_client, state.settings.namespace)
        self.ports = ClusterPorts(
            state.settings,
            self.store.list,
            lambda: KubeClusterPort(api_client, cluster="in-cluster"),
            catalog_ttl=0.0,
        )


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.bosun
    return state


def _fleet(request: Request) -> Fleet:
    fleet: Fleet | None = getattr(request.app.state, "bosun_fleet", None)
    if fleet is None:
        fleet = request.app.state.bosun_fleet = Fleet(_state(request))
    return fleet


def _destination_cluster(app: Obj, ports: ClusterPorts) -> str:
    try:
        return ports.catalog().resolve((app.get("spec") or {}).get("destination") or {}).name
    except SpecError:
        return ""


def _cluster_row(record: ClusterRecord, fleet: Fleet, apps: int) -> Obj:
    state = probe(record, fleet.ports.port(record))
    return {
        **state.to_dict(),
        "namespaces": list(record.namespaces),
        "labels": dict(record.labels),
        "secretName": record.secret_name,
        "applications": apps,
    }


@router.get("/clusters", dependencies=[Depends(require_read)])
async def list_clusters(request: Request) -> Obj:
    state, fleet = _state(request), _fleet(request)

    def load() -> Obj:
        catalog = fleet.ports.catalog(fresh=True)
        counts: dict[str, int] = {}
        for app in state.registry.applications():
            name = _destination_cluster(app, fleet.ports)
            counts[name] = counts.get(name, 0) + 1
        with ThreadPoolExecutor(max_workers=8) as pool:
            rows = list(pool.map(lambda r: _cluster_row(r, fleet, counts.get(r.name, 0)), catalog.clusters))
        broken = [{"secretName": k, "message": v} for k, v in catalog.broken.items()]
        return {"items": rows, "broken": broken}

    try:
        return await run_in_threadpool(load)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None


class ClusterAdd(BaseModel):
    name: str
    server: str
    config: dict[str, Any] = Field(default_factory=dict)
    namespaces: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


@router.post("/clusters", dependencies=[Depends(require_write)], status_code=201)
async def add_cluster(request: Request, body: ClusterAdd) -> Obj:
    state, fleet = _state(request), _fleet(request)
    try:
        secret = cluster_secret(
            body.name,
            body.server,
            body.config,
            namespace=state.settings.namespace,
            namespaces=tuple(body.namespaces),
            labels=body.labels,
        )
        created = await run_in_threadpool(fleet.store.create, secret)
    except ConfigError as exc:
        status = 409 if "already" in exc.message else 400
        raise HTTPException(status_code=status, detail=str(exc)) from None
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    state.events.record(body.name, "cluster-added", f"cluster {body.name} ({body.server})", by="api")
    return {"name": body.name, "server": body.server.rstrip("/"), "secretName": created["metadata"]["name"]}


@router.delete("/clusters/{name}", dependencies=[Depends(require_write)])
async def remove_cluster(request: Request, name: str) -> Obj:
    fleet = _fleet(request)
    try:
        secret_name = await run_in_threadpool(fleet.store.delete, name)
    except ConfigError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    return {"name": name, "secretName": secret_name, "removed": True}


def _project_view(project: AppProject, apps: list[Obj], now: datetime) -> Obj:
    members = [a for a in apps if (a.get("spec") or {}).get("project") == project.name]
    windows = [
        {
            "kind": w.kind,
            "schedule": w.schedule,
            "durationSeconds": w.duration_seconds,
            "timeZone": w.time_zone,
            "manualSync": w.manual_sync,
            "applications": list(w.applications),
            "namespaces": list(w.namespaces),
            "clusters": list(w.clusters),
            "active": window_active(w, now),
            "matchingApplications": sorted(
                str(a["metadata"]["name"]) for a in members if window_applies(w, a)
            ),
        }
        for w in project.sync_windows
    ]
    blocked = {
        str(a["metadata"]["name"]): reason
        for a in members
        for allowed, reason in [sync_allowed(project, a, now, manual=False)]
        if not allowed
    }
    return {
        "name": project.name,
        "sourceRepos": list(project.source_repos),
        "destinations": [d.__dict__ for d in project.destinations],
        "clusterResourceWhitelist": [k.__dict__ for k in project.cluster_whitelist],
        "clusterResourceBlacklist": [k.__dict__ for k in project.cluster_blacklist],
        "namespaceResourceWhitelist": None
        if project.namespace_whitelist is None
        else [k.__dict__ for k in project.namespace_whitelist],
        "namespaceResourceBlacklist": [k.__dict__ for k in project.namespace_blacklist],
        "syncWindows": windows,
        "applications": sorted(str(a["metadata"]["name"]) for a in members),
        "automatedSyncBlocked": blocked,
    }


def _projects(state: ServerState) -> tuple[list[AppProject], list[Obj], dict[str, str]]:
    projects: list[AppProject] = []
    invalid: dict[str, str] = {}
    for resource in state.registry.projects():
        try:
            projects.append(AppProject.from_resource(resource))
        except BosunError as exc:
            invalid[str(resource["metadata"]["name"])] = str(exc)
    if not any(p.name == "default" for p in projects) and "default" not in invalid:
        projects.insert(0, AppProject.default())
    return projects, state.registry.applications(), invalid


@router.get("/projects", dependencies=[Depends(require_read)])
async def list_projects(request: Request) -> Obj:
    state = _state(request)
    try:
        projects, apps, invalid = await run_in_threadpool(_projects, state)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    now = datetime.now(UTC)
    return {
        "items": [_project_view(p, apps, now) for p in sorted(projects, key=lambda p: p.name)],
        "invalid": [{"name": k, "message": v} for k, v in invalid.items()],
    }


@router.get("/projects/{name}", dependencies=[Depends(require_read)])
async def get_project(request: Request, name: str) -> Obj:
    state = _state(request)
    try:
        projects, apps, invalid = await run_in_threadpool(_projects, state)
    except ClusterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    if name in invalid:
        raise HTTPException(status_code=422, detail=invalid[name])
    project = next((p for p in projects if p.name == name), None)
    if project is None:
        raise HTTPException(
            status_code=404, detail=f"project {name!r} not found in namespace {state.settings.namespace}"
        )
    return _project_view(project, apps, datetime.now(UTC))


class ClusterMetrics(Collector):
    """`bosun_cluster_applications{cluster, sync, health}`: apps per destination cluster by status
    (one LIST of Applications and of cluster Secrets per scrape; an unreachable cluster shows as its
    apps' sync status Unknown)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.fleet: Fleet | None = None

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "bosun_cluster_applications",
            "Applications per destination cluster by sync and health status",
            labels=["cluster", "sync", "health"],
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()  # so registering does not list anything

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            self.fleet = self.fleet or Fleet(self.state)
            self.fleet.ports.catalog(fresh=True)
            counts: dict[tuple[str, str, str], int] = {}
            for app in self.state.registry.applications():
                status = app.get("status") or {}
                key = (
                    _destination_cluster(app, self.fleet.ports) or "(unknown)",
                    str((status.get("sync") or {}).get("status") or "Unknown"),
                    str((status.get("health") or {}).get("status") or "Unknown"),
                )
                counts[key] = counts.get(key, 0) + 1
        except Exception:  # a failing collector must not break the whole scrape
            return
        for labels, count in sorted(counts.items()):
            family.add_metric(list(labels), count)
        yield family


def register_metrics(state: ServerState) -> None:
    """Add the per-cluster metrics to the API server's Prometheus registry."""
    state.prometheus.register(ClusterMetrics(state))
