"""The management namespace's AppProjects, cluster Secrets and repository Secrets, watched once per
process (gitops.registry.informer), for the reads every refresh and sync step makes.

`ManagementCache(api_client, namespace)`: `projects()` {name: AppProject resource}, `catalog()` the
ClusterCatalog of the cluster Secrets, and the three informers (`project_informer`,
`cluster_secrets`, `repository_secrets`, e.g. for `RefreshingCredentials`). In steady state these
cost no LIST; while an informer is not synced they are read by a direct LIST (see the informer's
staleness bound). Give it an ApiClient of its own: each informer holds one long WATCH connection.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from gitops.clusters.catalog import ClusterCatalog
from gitops.clusters.store import SELECTOR as CLUSTER_SELECTOR
from gitops.registry.applications import APPPROJECTS, GROUP, VERSION
from gitops.registry.informer import Derived, Informer, Obj

REPOSITORY_SELECTOR = "argocd.argoproj.io/secret-type in (repository,repo-creds)"


def _by_name(items: tuple[Obj, ...]) -> dict[str, Obj]:
    return {str(item["metadata"]["name"]): item for item in items}


class ManagementCache:
    """Watched AppProjects, cluster Secrets and repository Secrets of one namespace."""

    def __init__(self, api_client: client.ApiClient, namespace: str, **options: Any) -> None:
        custom, core = client.CustomObjectsApi(api_client), client.CoreV1Api(api_client)
        self.project_informer = Informer(
            f"AppProjects in namespace {namespace}",
            custom.list_namespaced_custom_object,
            (GROUP, VERSION, namespace, APPPROJECTS),
            **options,
        )
        self.cluster_secrets = Informer(
            f"cluster Secrets in namespace {namespace}",
            core.list_namespaced_secret,
            (namespace,),
            {"label_selector": CLUSTER_SELECTOR},
            **options,
        )
        self.repository_secrets = Informer(
            f"repository Secrets in namespace {namespace}",
            core.list_namespaced_secret,
            (namespace,),
            {"label_selector": REPOSITORY_SELECTOR},
            **options,
        )
        self._projects = Derived(self.project_informer, _by_name)
        self._catalog = Derived(self.cluster_secrets, ClusterCatalog.from_secrets)

    @property
    def informers(self) -> tuple[Informer, ...]:
        return (self.project_informer, self.cluster_secrets, self.repository_secrets)

    def projects(self) -> dict[str, Obj]:
        """AppProjects by name (shared: do not modify)."""
        return self._projects.get()

    def catalog(self) -> ClusterCatalog:
        """The registered clusters (shared: do not modify)."""
        return self._catalog.get()

    def stop(self) -> None:
        for informer in self.informers:
            informer.stop()
