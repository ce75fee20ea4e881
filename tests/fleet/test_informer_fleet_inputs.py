"""FleetInputsCache over the watched AppProjects and cluster Secrets (gitops.projects.review with
`watched`): reviews never list AppProjects or Secrets, and list Applications only when a review
needs other apps (dependencies, or the dependents of an app that just became ready)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.clusters import ClusterCatalog
from gitops.projects.review import FleetInputsCache, first_step_refusal, review_refresh

from .test_fleet_review import COMPARED, app, secret

Obj = dict[str, Any]
PROJECT = {"metadata": {"name": "default"},
           "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}}  # fmt: skip


class Watched:
    """Stands in for ManagementCache: what the informers hold, changed by the test."""

    def __init__(self) -> None:
        self.project_docs: dict[str, Obj] = {"default": PROJECT}
        self.secrets = [secret("dev", "https://dev")]

    def projects(self) -> Mapping[str, Obj]:
        return self.project_docs

    def catalog(self) -> ClusterCatalog:
        return ClusterCatalog.from_secrets(self.secrets)


class Registry:
    def __init__(self, apps: list[Obj]) -> None:
        self.apps, self.calls = apps, []  # type: list[Obj], list[str]

    def applications(self) -> list[Obj]:
        self.calls.append("applications")
        return self.apps

    def projects(self) -> list[Obj]:
        self.calls.append("projects")
        return []


def cache_over(registry: Registry, watched: Watched) -> FleetInputsCache:
    def no_list() -> list[Obj]:
        raise AssertionError("cluster Secrets listed")

    return FleetInputsCache(registry, no_list, watched=watched)


def test_reviews_of_apps_without_dependencies_list_nothing() -> None:
    registry, watched = Registry([app("plain")]), Watched()
    cache = cache_over(registry, watched)
    review = review_refresh(cache, app("plain"), COMPARED | {"resources": []}, start_sync=True)
    assert review.sync_allowed, review.reason
    assert first_step_refusal(cache, app("plain") | {"operation": {"sync": {}}}) is None
    assert registry.calls == []


def test_a_change_in_the_watched_project_counts_at_the_next_review() -> None:
    registry, watched = Registry([]), Watched()
    cache = cache_over(registry, watched)
    requested = app("plain") | {"operation": {"sync": {}}}
    assert first_step_refusal(cache, requested) is None
    watched.project_docs = {"default": {**PROJECT, "spec": {**PROJECT["spec"], "destinations": []}}}
    refusal = first_step_refusal(cache, requested)
    assert refusal is not None and "default" in refusal
    watched.secrets = []  # the cluster Secret deleted: the destination is unknown now
    watched.project_docs = {"default": PROJECT}
    refusal = first_step_refusal(cache, requested)
    assert refusal is not None and "dev" in refusal
    assert registry.calls == []


def test_applications_are_listed_only_for_an_app_with_dependencies() -> None:
    ready = {"sync": {"status": "Synced", "revision": "r"}, "health": {"status": "Healthy"}}
    db = app("db", sync={"status": "OutOfSync"}, health={"status": "Progressing"})
    registry, watched = Registry([app("db", **ready), app("web", depends="db")]), Watched()
    cache = cache_over(registry, watched)

    review_refresh(cache, app("web", depends="db"), COMPARED | {"resources": []}, start_sync=True)
    assert registry.calls == ["applications"]  # a sync decision of an app with dependencies: fresh
    assert review_refresh(cache, db, ready, start_sync=False).became_ready
    assert registry.calls == ["applications"]  # its dependents come from Redis, not from a list
