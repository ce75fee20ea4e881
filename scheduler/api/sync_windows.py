"""The manual-sync check the API runs at request time, as Argo CD does: a sync a sync window denies
(an active deny window without manualSync, or outside every allow window without manualSync) is
refused with 403 before anything is recorded on the Application. The worker checks again when the
first step runs (gitops.projects.review), so a window that opens in between still applies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.clusters.catalog import ClusterCatalog
from gitops.clusters.store import ClusterSecretStore
from gitops.errors import SpecError
from gitops.model.timefmt import now_utc
from gitops.projects.checks import resolve_project
from gitops.projects.windows import sync_allowed
from gitops.registry import ApplicationRegistry


def manual_sync_refusal(registry: ApplicationRegistry, namespace: str, app: Mapping[str, Any]) -> str | None:
    """None when a manual sync of `app` may start now, else why not (with what to do)."""
    name = str((app.get("metadata") or {}).get("name") or "")
    spec = app.get("spec") or {}
    projects = {str(p["metadata"]["name"]): p for p in registry.projects()}
    try:
        project = resolve_project(name, str(spec.get("project") or ""), projects)
        secrets = ClusterSecretStore(registry.api.api_client, namespace).list()
        record = ClusterCatalog.from_secrets(secrets).resolve(spec.get("destination") or {}, name)
    except SpecError:
        return None  # an invalid spec is reported by the app's refresh and its sync step
    allowed, reason = sync_allowed(
        project, app, now_utc(), True, server=record.server, cluster_name=record.name
    )
    if allowed:
        return None
    return (
        f"cannot sync application {name!r}: {reason}; retry when the window allows it, "
        f"or set manualSync: true on the window in AppProject {project.name!r}"
    )
