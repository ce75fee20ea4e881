"""The fleet checks a reconciler runs around compare and sync, in one place.

- `fleet_target(app, ports, project_resources)`: the app's cluster (record + port) and AppProject;
  SpecError (-> InvalidSpecError, nothing compared or applied) for an unknown project or cluster, or
  a source repo / destination the project refuses.
- `resource_gate(project, target, desired)`: forbidden desired objects {key: reason}; mark them with
  `checks.mark_forbidden` and refuse any sync while there are some.
- `sync_gate(app, target, apps, now, manual, forbidden)`: may a sync start now? Forbidden resources,
  then sync windows (automated syncs; manual ones when every active deny has manualSync), then
  dependencies (`bosun.dev/depends-on`). Returns (allowed, reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gitops.cluster.port import ClusterPort
from gitops.clusters.ports import ClusterPorts
from gitops.clusters.secrets import ClusterRecord
from gitops.dependencies import dependency_gate
from gitops.errors import SpecError
from gitops.projects.checks import (
    forbidden_resources,
    forbidden_summary,
    resolve_project,
    scope_from,
    spec_violations,
)
from gitops.projects.model import AppProject
from gitops.projects.windows import sync_allowed
from gitops.tracking import ResourceKey

Obj = dict[str, Any]


@dataclass(frozen=True)
class FleetTarget:
    cluster: ClusterRecord
    port: ClusterPort
    project: AppProject


def fleet_target(
    app: Mapping[str, Any], ports: ClusterPorts, project_resources: Mapping[str, Mapping[str, Any]]
) -> FleetTarget:
    """Cluster and project of `app`, after the project's spec-level checks (SpecError otherwise)."""
    name = str((app.get("metadata") or {}).get("name") or "")
    spec = app.get("spec") or {}
    project = resolve_project(name, str(spec.get("project") or ""), project_resources)
    record, port = ports.resolve(spec.get("destination") or {}, name)
    violations = spec_violations(project, app, record.server, record.name)
    if violations:
        raise SpecError("; ".join(violations), app=name, target=f"AppProject {project.name}")
    return FleetTarget(record, port, project)


def resource_gate(
    target: FleetTarget, desired: Iterable[Obj], destination_namespace: str
) -> dict[ResourceKey, str]:
    desired = list(desired)
    return forbidden_resources(
        target.project,
        desired,
        scope_from(target.port.resource_for, desired),
        server=target.cluster.server,
        cluster_name=target.cluster.name,
        destination_namespace=destination_namespace,
    )


def sync_gate(
    app: Mapping[str, Any],
    target: FleetTarget,
    apps: Mapping[str, Mapping[str, Any]],
    now: datetime,
    *,
    manual: bool,
    forbidden: Mapping[ResourceKey, str] | None = None,
) -> tuple[bool, str]:
    """Whether a sync of `app` may start now; the reason is for status messages and events."""
    if forbidden:
        return False, "sync refused, nothing applied: " + forbidden_summary(target.project, forbidden)
    allowed, reason = sync_allowed(
        target.project, app, now, manual, server=target.cluster.server, cluster_name=target.cluster.name
    )
    if not allowed:
        return False, reason
    name = str((app.get("metadata") or {}).get("name") or "")
    gate = dependency_gate(name, apps)
    if not gate.ready:
        return False, gate.message
    return True, reason if not gate.message else gate.message
