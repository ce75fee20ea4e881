"""Project checks an app passes before anything is compared or applied.

- `resolve_project(app_name, project_name, resources)`: the AppProject an app names (`default` is
  implicit when no resource exists); SpecError otherwise.
- `spec_violations(project, app, server, cluster_name)`: spec-level refusals (source repos,
  destination) -> the InvalidSpecError condition's messages. Nothing of the app may be synced.
- `forbidden_resources(project, desired, scope, server, cluster_name, destination_namespace)`:
  desired objects whose kind or namespace the project forbids -> {ResourceKey: reason}; they get
  sync status Unknown and a sync containing any of them is refused (nothing is applied).
- `mark_forbidden(status, forbidden)`: puts those verdicts into an Argo status dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gitops.errors import ClusterError, SpecError
from gitops.projects.model import DEFAULT_PROJECT, AppProject
from gitops.projects.permissions import destination_permitted, kind_permitted, source_permitted
from gitops.tracking import ResourceKey

Obj = dict[str, Any]
ScopeLookup = Callable[[str, str], bool | None]  # (apiVersion, kind) -> namespaced, None if unknown


def resolve_project(
    app_name: str, project_name: str, resources: Mapping[str, Mapping[str, Any]]
) -> AppProject:
    """The app's AppProject from the namespace's AppProject resources (by name)."""
    name = project_name or ""
    if not name:
        raise SpecError("spec.project is required", app=app_name, target="spec.project", hint="set it")
    resource = resources.get(name)
    if resource is not None:
        try:
            return AppProject.from_resource(resource)
        except SpecError as err:
            raise SpecError(err.message, app=app_name, target=err.target, hint=err.hint) from None
    if name == DEFAULT_PROJECT:
        return AppProject.default()
    raise SpecError(
        f"application references project {name} which does not exist",
        app=app_name,
        target="spec.project",
        hint="create the AppProject in the management namespace or use another project",
    )


def _sources(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sources = spec.get("sources")
    if sources:
        return [s for s in sources if isinstance(s, Mapping)]
    source = spec.get("source")
    return [source] if isinstance(source, Mapping) else []


def spec_violations(project: AppProject, app: Mapping[str, Any], server: str, cluster_name: str) -> list[str]:
    """Argo CD's InvalidSpecError messages for sources and destination the project refuses."""
    spec = app.get("spec") or {}
    messages = []
    for source in _sources(spec):
        repo = str(source.get("repoURL") or "")
        if not source_permitted(project, repo):
            messages.append(
                f"application repo {repo} is not permitted in project '{project.name}' "
                "(add it to the project's sourceRepos)"
            )
    namespace = str((spec.get("destination") or {}).get("namespace") or "")
    if not destination_permitted(project, server, cluster_name, namespace):
        messages.append(
            f"application destination server '{server}' (cluster '{cluster_name}') and namespace "
            f"'{namespace}' do not match any of the allowed destinations in project '{project.name}'"
        )
    return messages


def scope_from(port_lookup: Callable[[str, str], Any], desired: Iterable[Obj]) -> ScopeLookup:
    """A ScopeLookup over a ClusterPort's `resource_for`, with the scopes of CRDs in `desired` for
    kinds the cluster does not serve yet."""
    crd_scopes: dict[tuple[str, str], bool] = {}
    for obj in desired:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = str((spec.get("names") or {}).get("kind") or "")
            crd_scopes[(str(spec.get("group") or ""), kind)] = spec.get("scope") != "Cluster"

    def lookup(api_version: str, kind: str) -> bool | None:
        try:
            return bool(port_lookup(api_version, kind).namespaced)
        except ClusterError:
            return crd_scopes.get((api_version.rpartition("/")[0], kind))

    return lookup


def forbidden_resources(
    project: AppProject,
    desired: Iterable[Obj],
    scope: ScopeLookup,
    *,
    server: str,
    cluster_name: str,
    destination_namespace: str,
) -> dict[ResourceKey, str]:
    """Desired objects the project forbids, with the reason (kind not permitted, namespace not
    permitted on this destination)."""
    forbidden: dict[ResourceKey, str] = {}
    for obj in desired:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        namespaced = scope(api_version, kind)
        if namespaced is None:
            namespaced = bool((obj.get("metadata") or {}).get("namespace") or destination_namespace)
        key = ResourceKey.of(obj, namespaced)
        if namespaced and not key.namespace:
            key = ResourceKey(key.group, key.kind, destination_namespace, key.name)
        group = key.group
        if not kind_permitted(project, group, kind, namespaced):
            scope_word = "namespaced" if namespaced else "cluster-scoped"
            forbidden[key] = (
                f"resource {group or 'core'}:{kind} ({scope_word}) is not permitted in project "
                f"'{project.name}' (add it to the project's "
                f"{'namespaceResourceWhitelist' if namespaced else 'clusterResourceWhitelist'})"
            )
        elif namespaced and not destination_permitted(project, server, cluster_name, key.namespace):
            forbidden[key] = (
                f"namespace {key.namespace} is not permitted in project '{project.name}' "
                f"on cluster '{cluster_name or server}'"
            )
    return forbidden


def mark_forbidden(status: Obj, forbidden: Mapping[ResourceKey, str]) -> Obj:
    """Set forbidden resources' sync status to Unknown (with the reason as their health message)
    in `status["resources"]`, adding entries for ones the compare did not list."""
    if not forbidden:
        return status
    resources = status.setdefault("resources", [])
    seen = set()
    for entry in resources:
        key = ResourceKey(
            str(entry.get("group") or ""),
            str(entry.get("kind") or ""),
            str(entry.get("namespace") or ""),
            str(entry.get("name") or ""),
        )
        if key in forbidden:
            seen.add(key)
            entry["status"] = "Unknown"
            entry["health"] = {"status": "Unknown", "message": forbidden[key]}
    for key, reason in forbidden.items():
        if key not in seen:
            resources.append(
                {
                    "group": key.group,
                    "kind": key.kind,
                    "namespace": key.namespace,
                    "name": key.name,
                    "status": "Unknown",
                    "health": {"status": "Unknown", "message": reason},
                }
            )
    return status


def forbidden_summary(project: AppProject, forbidden: Mapping[ResourceKey, str]) -> str:
    """One line for conditions and refused operations: how many, and the first few."""
    names = [str(k) for k in sorted(forbidden, key=str)]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return (
        f"{len(names)} resource(s) not permitted in project '{project.name}': "
        + "; ".join(forbidden[k] for k in sorted(forbidden, key=str)[:3])
        + more
    )
