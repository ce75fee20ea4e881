"""The fleet checks inside Bosun's real Celery workers (subprocesses, real redis-server, kubesim as
the management cluster, the control-plane probe Reconciler at the engine port): sync windows refuse
automated and manual syncs, dependencies and unknown clusters show in the status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from controlplane.conftest import prefix, rclient, redis_server, settings  # noqa: F401  (fixtures)
from controlplane.test_workers import Stack, wait_until
from kubernetes import client as k8s

from gitops.coordination import EventLog, RefreshRequests
from gitops.dependencies import DEPENDS_ON_ANNOTATION
from gitops.settings import Settings
from workers.enqueue import request_refresh, request_sync_step

pytestmark = pytest.mark.slow
DENY_NOW = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["frozen-*"]}


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:  # noqa: F811
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    yield built
    built.stop()


def status_of(stack: Stack, name: str) -> dict[str, Any]:
    app = stack.registry.application(name)
    return dict((app or {}).get("status") or {})


def test_worker_refuses_syncs_by_window_and_reports_dependencies_and_clusters(
    stack: Stack,
    rclient: redis.Redis,  # noqa: F811
) -> None:
    projects: Any = k8s.CustomObjectsApi(stack.registry.api.api_client)
    spec = {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "syncWindows": [DENY_NOW],
    }
    projects.create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects",
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "frozen"}, "spec": spec},
    )  # fmt: skip
    auto_sync: Any = {"probe/start-sync": "true"}
    depends: Any = {DEPENDS_ON_ANNOTATION: "ghost"}
    stack.app("frozen-auto", **auto_sync)
    stack.app("frozen-manual", operation=True)
    stack.app("free", **auto_sync)
    stack.app("waiter", **depends)
    stack.app("lost")
    for name in ("frozen-auto", "frozen-manual"):
        stack.registry.patch(name, {"spec": {"project": "frozen"}})
    stack.registry.patch("lost", {"spec": {"destination": {"server": "https://nowhere.example.com"}}})
    stack.env["BOSUN_SYNC_STEP_COUNTDOWN_SECONDS"] = "0.2"
    stack.worker("w1")
    refreshes = RefreshRequests(rclient, stack.keys)
    for name in ("frozen-auto", "free", "waiter", "lost"):
        assert request_refresh(stack.celery, refreshes, name)
    steps = RefreshRequests(rclient, stack.keys, 600, key=stack.keys.sync_pending)
    assert request_sync_step(stack.celery, steps, "frozen-manual")

    events = EventLog(rclient, stack.keys)
    blocked = wait_until(lambda: [e for e in events.recent("frozen-auto") if e.kind == "auto-sync-blocked"],
                         what="automated sync blocked")  # fmt: skip
    assert "sync denied by the active deny window '* * * * *'" in blocked[0].message
    wait_until(lambda: stack.probe(rclient, "calls", "step", "free") >= 1, what="the free app syncs")

    manual = wait_until(
        lambda: status_of(stack, "frozen-manual").get("operationState"), what="refused operation"
    )
    assert manual["phase"] == "Failed"
    assert (
        "sync refused before anything was applied: sync denied by the active deny window" in manual["message"]
    )
    assert not (stack.registry.application("frozen-manual") or {}).get("operation")

    waiting = wait_until(lambda: status_of(stack, "waiter").get("conditions"), what="waiter conditions")
    assert waiting[0]["type"] == "DependencyWaiting" and "ghost (does not exist)" in waiting[0]["message"]
    lost = wait_until(lambda: status_of(stack, "lost").get("conditions"), what="lost conditions")
    assert lost[0]["type"] == "InvalidSpecError"
    assert "cluster https://nowhere.example.com has not been configured" in lost[0]["message"]
    assert status_of(stack, "lost")["sync"]["status"] == "Unknown"

    for name in ("frozen-auto", "frozen-manual"):
        assert stack.probe(rclient, "calls", "step", name) == 0  # the engine was never asked to apply
    assert not (stack.registry.application("frozen-auto") or {}).get("operation")


def test_an_app_that_becomes_ready_wakes_the_apps_waiting_for_it(
    stack: Stack,
    rclient: redis.Redis,  # noqa: F811
) -> None:
    waits: Any = {DEPENDS_ON_ANNOTATION: "db", "probe/start-sync": "true"}
    stack.app("db", **{"probe/sync": "OutOfSync"})
    stack.app("web", **waits)
    stack.worker("w1")
    refreshes = RefreshRequests(rclient, stack.keys)
    assert request_refresh(stack.celery, refreshes, "db")
    wait_until(lambda: stack.probe(rclient, "calls", "refresh", "db") == 1, what="db refreshed, OutOfSync")
    assert request_refresh(stack.celery, refreshes, "web")
    wait_until(
        lambda: rclient.smembers(stack.keys.dependents_waiting("db")) == {"web"}, what="web waits on db"
    )
    assert stack.probe(rclient, "calls", "refresh", "web") == 1
    stack.registry.patch("db", {"metadata": {"annotations": {"probe/sync": "Synced"}}})
    assert request_refresh(stack.celery, refreshes, "db")  # db becomes Synced and Healthy: web goes next
    wait_until(
        lambda: stack.probe(rclient, "calls", "refresh", "web") == 2, what="web refreshed by db's wake"
    )
    assert not rclient.exists(stack.keys.dependents_waiting("db"))
