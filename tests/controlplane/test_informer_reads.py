"""Management-cluster reads per task: once a worker process's informers are synced, its refreshes and
sync steps (the real task bodies, in-process, against kubesim over HTTP, a private redis-server and
a git repo on loopback) LIST no AppProject, no Secret and (for an app without dependencies) no
Application, and a new deny rule in the AppProject
still reaches the next refresh. LISTs are counted at the HTTP edge of the kubernetes client."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes import client as kclient
from kubernetes.client import rest

from gitops.settings import Settings
from workers.celery_app import make_celery
from workers.refresh import run_refresh
from workers.sync import run_sync_step

from .test_engine_flow import configmap
from .test_sync_resource_gate import app_and_reconciler

WATCHED = ("appprojects", "secrets", "applications")


class Requests:
    """Every request the kubernetes clients of this process send, as (method, path, query)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, str, str]] = []
        inner = rest.RESTClientObject.request

        def request(client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            split = urlsplit(url)
            self.seen.append((method, split.path, split.query))
            return inner(client, method, url, *args, **kwargs)

        monkeypatch.setattr(rest.RESTClientObject, "request", request)

    def lists(self) -> list[str]:
        """GETs of a whole AppProject, Secret or Application collection that are not WATCHes (an app
        without dependencies needs no other app's status)."""
        return [path for method, path, query in self.seen
                if method == "GET" and path.rsplit("/", 1)[-1] in WATCHED and "watch=" not in query]  # fmt: skip


def run_operation(ctx: Any, celery: Any) -> str:
    for _ in range(40):
        outcome = run_sync_step(ctx, celery, "web")
        if outcome in ("done", "idle"):
            return outcome
        time.sleep(0.25)
    raise AssertionError("the operation did not finish")


def test_refreshes_and_sync_steps_list_no_project_no_secret_and_no_application(
    kubesim_server: Any, settings: Settings, redis_server: Any, git_server: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    files = {"apps/web/configmap.yaml": configmap("v1")}
    _app, reconciler = app_and_reconciler(
        kubesim_server, settings, redis_server.url, git_server, tmp_path, files
    )
    ctx = reconciler.ctx
    ctx.__dict__["reconciler"] = reconciler
    celery = make_celery(ctx.settings)
    assert run_operation(ctx, celery) == "done"  # the first task starts the informers (their LISTs)
    assert run_refresh(ctx, celery, "web") == "refreshed"

    requests = Requests(monkeypatch)
    assert run_refresh(ctx, celery, "web") == "refreshed"
    ctx.registry.patch("web", {"operation": {"sync": {}, "initiatedBy": {"username": "test"}}})
    assert run_operation(ctx, celery) == "done"
    assert run_refresh(ctx, celery, "web") == "refreshed"
    assert requests.seen, "the counter saw no request at all"
    assert requests.lists() == []

    api = kubesim_server.api_client()
    kclient.CustomObjectsApi(api).patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", "restricted",
        {"spec": {"namespaceResourceBlacklist": [{"group": "", "kind": "ConfigMap"}]}},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while "ConfigMap" not in str(ctx.management.projects()["restricted"]["spec"]):
        assert time.monotonic() < deadline, "the new deny rule never reached the informer"
        time.sleep(0.05)
    assert run_refresh(ctx, celery, "web") == "refreshed"
    status = (ctx.registry.application("web") or {}).get("status") or {}
    config = next(r for r in status.get("resources") or [] if r.get("kind") == "ConfigMap")
    assert config.get("status") == "Unknown", config  # forbidden now: its sync status is Unknown
    assert requests.lists() == []


def test_an_automated_sync_runs_in_the_refresh_that_decided_it_on_its_loaded_state(
    kubesim_server: Any, settings: Settings, redis_server: Any, git_server: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """One refresh task renders, compares, starts the automated sync and runs its first step with the
    manifests and live objects the compare loaded: one ConfigMap LIST, and the app is deployed."""
    files = {"apps/web/configmap.yaml": configmap("v1")}
    _app, reconciler = app_and_reconciler(
        kubesim_server, settings, redis_server.url, git_server, tmp_path, files
    )
    ctx = reconciler.ctx
    ctx.__dict__["reconciler"] = reconciler
    ctx.registry.patch("web", {"operation": None, "spec": {"syncPolicy": {"automated": {}}}})
    api = kubesim_server.api_client()
    kclient.CustomObjectsApi(api).patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", "restricted",
        {"spec": {"namespaceResourceWhitelist": [{"group": "*", "kind": "*"}]}},
    )  # fmt: skip
    requests = Requests(monkeypatch)
    assert run_refresh(ctx, make_celery(ctx.settings), "web") == "refreshed"
    app = ctx.registry.application("web") or {}
    state = (app.get("status") or {}).get("operationState") or {}
    assert state.get("phase") == "Succeeded" and not app.get("operation"), state
    assert kclient.CoreV1Api(api).read_namespaced_config_map("web-config", "web").data["version"] == "v1"
    configmap_lists = [p for m, p, q in requests.seen if m == "GET" and p.endswith("/configmaps")]
    assert len(configmap_lists) == 1, requests.seen  # the compare's; the first step reused it


def test_a_handoff_serves_only_its_app_and_revision_and_only_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import engine

    handoff = engine.Handoff("web", "a" * 40, [], None, time.monotonic())
    assert handoff.serves("web", "a" * 40)
    assert not handoff.serves("api", "a" * 40) and not handoff.serves("web", "b" * 40)
    assert not handoff.serves("web", "")
    monkeypatch.setattr(engine, "HANDOFF_SECONDS", 0.0)
    assert not handoff.serves("web", "a" * 40)
