"""The worker's fleet review of a refreshed status: spec checks, forbidden resources, dependencies,
windows; conditions keep their transition time while their message does not change."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from gitops.clusters import ClusterCatalog
from gitops.dependencies import DEPENDS_ON_ANNOTATION
from gitops.projects.review import (
    FleetInputs,
    FleetInputsCache,
    first_step_refusal,
    review_app,
    review_refresh,
)

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def secret(name: str, server: str) -> dict[str, Any]:
    data = {"name": name, "server": server, "config": "{}"}
    return {
        "metadata": {"name": f"cluster-{name}"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def app(
    name: str, project: str = "default", cluster: str = "dev", depends: str = "", **status: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if depends:
        meta["annotations"] = {DEPENDS_ON_ANNOTATION: depends}
    return {
        "metadata": meta,
        "spec": {"project": project, "source": {"repoURL": "https://git.example.com/team/x"},
                 "destination": {"name": cluster, "namespace": "web"}},
        "status": status,
    }  # fmt: skip


def inputs(*apps: dict[str, Any], **projects: dict[str, Any]) -> FleetInputs:
    return FleetInputs(
        projects={n: {"metadata": {"name": n}, "spec": s} for n, s in projects.items()},
        apps={a["metadata"]["name"]: a for a in apps},
        catalog=ClusterCatalog.from_secrets([secret("dev", "https://dev"), secret("prod", "https://prod")]),
    )


COMPARED: dict[str, Any] = {
    "sync": {"status": "OutOfSync", "revision": "r1"},
    "health": {"status": "Healthy"},
    "resources": [
        {"group": "", "kind": "ConfigMap", "namespace": "web", "name": "a", "status": "OutOfSync"},
        {
            "group": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "namespace": "",
            "name": "r",
            "status": "OutOfSync",
        },
    ],
}
TEAM = {
    "sourceRepos": ["https://git.example.com/team/*"],
    "destinations": [{"name": "dev", "namespace": "web"}],
}


def test_default_project_allows_and_unknown_cluster_is_invalid() -> None:
    review = review_app(app("a"), COMPARED, inputs(app("a")), NOW, manual=False)
    assert review.sync_allowed and review.cluster is not None and review.cluster.name == "dev"
    lost = review_app(app("a", cluster="qa"), COMPARED, inputs(), NOW, manual=True)
    assert not lost.sync_allowed and lost.status["sync"]["status"] == "Unknown"
    assert "there are no clusters with this name: qa" in lost.status["conditions"][0]["message"]


def test_destination_and_kind_refused_by_project() -> None:
    refused = review_app(app("a", "team", cluster="prod"), COMPARED, inputs(team=TEAM), NOW, manual=True)
    assert not refused.sync_allowed and "allowed destinations in project 'team'" in refused.reason
    kinds = review_app(app("a", "team"), COMPARED, inputs(team=TEAM), NOW, manual=True)
    assert not kinds.sync_allowed and "nothing applied" in kinds.reason
    role = next(r for r in kinds.status["resources"] if r["kind"] == "ClusterRole")
    assert role["status"] == "Unknown" and "clusterResourceWhitelist" in role["health"]["message"]
    assert COMPARED["resources"][1]["status"] == "OutOfSync"  # input untouched


def test_dependencies_and_condition_transition_time() -> None:
    db = app("db", sync={"status": "OutOfSync", "revision": "r"}, health={"status": "Healthy"})
    web = app("web", depends="db")
    first = review_app(web, {"sync": {"status": "OutOfSync"}}, inputs(db, web), NOW, manual=True)
    assert not first.sync_allowed and first.reason.endswith("db (OutOfSync)")
    [waiting] = first.status["conditions"]
    assert waiting["type"] == "DependencyWaiting"
    later = datetime(2026, 6, 2, 12, 5, tzinfo=UTC)
    web_again = {**web, "status": first.status}
    second = review_app(
        web_again, {"sync": {"status": "OutOfSync"}}, inputs(db, web_again), later, manual=False
    )
    assert second.status["conditions"][0]["lastTransitionTime"] == waiting["lastTransitionTime"]
    ready_db = app("db", sync={"status": "Synced", "revision": "r"}, health={"status": "Healthy"})
    done = review_app(
        web_again, {"sync": {"status": "OutOfSync"}}, inputs(ready_db, web_again), later, manual=False
    )
    assert done.sync_allowed and "conditions" not in done.status
    cycle = review_app(app("x", depends="x"), {}, inputs(app("x", depends="x")), NOW, manual=True)
    assert not cycle.sync_allowed and cycle.status["conditions"][0]["type"] == "InvalidSpecError"


def test_windows_for_automated_and_manual() -> None:
    frozen = {**TEAM, "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
              "syncWindows": [{"kind": "deny", "schedule": "0 12 * * *", "duration": "1h", "clusters": ["dev"], "manualSync": True}]}  # fmt: skip
    auto = review_app(app("a", "team"), COMPARED, inputs(team=frozen), NOW, manual=False)
    assert not auto.sync_allowed and "deny window" in auto.reason
    assert review_app(app("a", "team"), COMPARED, inputs(team=frozen), NOW, manual=True).sync_allowed


def test_inputs_cache() -> None:
    calls = []

    class Registry:
        def applications(self) -> list[dict[str, Any]]:
            calls.append("apps")
            return []

        def projects(self) -> list[dict[str, Any]]:
            return []

    now = [0.0]
    cache = FleetInputsCache(Registry(), lambda: [], ttl=5, clock=lambda: now[0])
    cache.get()
    cache.get()
    now[0] = 6
    cache.get()
    cache.get(fresh=True)
    assert calls == ["apps", "apps", "apps"]


def test_an_app_becoming_ready_and_an_app_waiting_for_it_are_told() -> None:
    db = app("db", sync={"status": "OutOfSync", "revision": "r"}, health={"status": "Healthy"})
    apps = [db, app("web", depends="db"), app("api", depends="db, cache"), app("other")]

    class Registry:
        def applications(self) -> list[dict[str, Any]]:
            return apps

        def projects(self) -> list[dict[str, Any]]:
            return []

    cache = FleetInputsCache(Registry(), lambda: [secret("dev", "https://dev")])
    ready = {"sync": {"status": "Synced", "revision": "r"}, "health": {"status": "Healthy"}}
    assert review_refresh(cache, db, ready, start_sync=False).became_ready
    assert not review_refresh(cache, {**db, "status": ready}, ready, start_sync=False).became_ready
    assert not review_refresh(
        cache, db, {**ready, "health": {"status": "Progressing"}}, start_sync=False
    ).became_ready
    web = review_refresh(cache, app("web", depends="db"), ready, start_sync=True)
    assert not web.sync_allowed and web.waiting_for == ("db",)  # recorded in db's waiting set by the worker


def test_sync_decisions_relist_applications_only_for_apps_with_dependencies() -> None:
    calls: list[str] = []
    listed = [app("db", sync={"status": "Synced", "revision": "r"}, health={"status": "Healthy"}),
              app("web", depends="db"), app("plain", depends="db")]  # fmt: skip

    class Registry:
        def applications(self) -> list[dict[str, Any]]:
            calls.append("apps")
            return listed

        def projects(self) -> list[dict[str, Any]]:
            calls.append("projects")
            return []

    cache = FleetInputsCache(Registry(), lambda: [secret("dev", "https://dev")])
    cache.get()
    calls.clear()
    # "plain" dropped its dependency since the list was read: its newest copy decides, no re-list.
    review = review_refresh(cache, app("plain"), COMPARED | {"resources": []}, start_sync=True)
    assert review.sync_allowed and calls == ["projects"]
    assert first_step_refusal(cache, app("plain") | {"operation": {"sync": {}}}) is None
    assert calls == ["projects", "projects"]
    calls.clear()
    review_refresh(cache, app("web", depends="db"), COMPARED | {"resources": []}, start_sync=True)
    assert calls == ["projects", "apps"]
