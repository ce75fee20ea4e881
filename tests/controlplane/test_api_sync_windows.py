"""`POST /api/v1/applications/{name}/sync` (and `.../rollback`) refuses at request time (403, nothing recorded, nothing
queued) when a sync window of the app's AppProject denies a manual sync, and accepts once the window
has manualSync; over real HTTP with the registry on kubesim and the real Redis broker queues."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import yaml
from kubernetes import client as kclient
from pydantic import SecretStr

from gitops.registry import ApplicationRegistry
from gitops.settings import Settings

from .kube import APPS, install_crds
from .servers import api_server, queued_tasks

WRITE = "write-token-windows"
HEADERS = {"Authorization": f"Bearer {WRITE}"}


def team_project(manual_sync: bool) -> dict[str, Any]:
    window = {
        "kind": "deny",
        "schedule": "* * * * *",
        "duration": "1h",
        "applications": ["*"],
        "manualSync": manual_sync,
    }  # always active
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
            "metadata": {"name": "team", "namespace": "bosun"},
            "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                     "syncWindows": [window]}}  # fmt: skip


@pytest.fixture
def registry(kubesim_server: Any) -> ApplicationRegistry:
    install_crds(kubesim_server.kubeconfig)
    registry = ApplicationRegistry(kubesim_server.api_client(), "bosun")
    app = copy.deepcopy(yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text()))
    app["metadata"] = {"name": "beta"}
    app["spec"]["project"] = "team"
    registry.create(app)
    manual = copy.deepcopy(app)
    manual["metadata"] = {"name": "gamma"}
    manual["spec"]["syncPolicy"].pop("automated", None)
    registry.create(manual)
    source = {
        "repoURL": "https://git.example.invalid/acme/guestbook.git",
        "path": "guestbook",
        "targetRevision": "HEAD",
    }
    registry.write_status("gamma", {"history": [{"id": 0, "revision": "a" * 40, "source": source,
                                                 "deployedAt": "2026-11-20T10:00:00Z"}]}, fence=1)  # fmt: skip
    return registry


@pytest.fixture
def api(settings: Settings, registry: ApplicationRegistry) -> Iterator[httpx.Client]:
    configured = settings.model_copy(update={"api_write_token": SecretStr(WRITE)})
    with api_server(configured, registry) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def test_manual_sync_denied_by_a_window_is_refused_at_request_time(
    api: httpx.Client, kubesim_server: Any, registry: ApplicationRegistry, rclient: redis.Redis, prefix: str
) -> None:
    projects = kclient.CustomObjectsApi(kubesim_server.api_client())
    projects.create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", team_project(False)
    )

    refused = api.post("/api/v1/applications/beta/sync", headers=HEADERS, json={})

    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert "beta" in detail and "deny" in detail and "manualSync" in detail, detail
    assert not (registry.application("beta") or {}).get("operation")
    assert queued_tasks(rclient, prefix, "sync") == []

    projects.patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", "team", {"spec": team_project(True)["spec"]}
    )
    accepted = api.post("/api/v1/applications/beta/sync", headers=HEADERS, json={})
    assert accepted.status_code == 200, accepted.text
    assert queued_tasks(rclient, prefix, "sync") == [("bosun.sync_step", ["beta"])]


def test_rollback_denied_by_a_window_is_refused_at_request_time(
    api: httpx.Client, kubesim_server: Any, registry: ApplicationRegistry, rclient: redis.Redis, prefix: str
) -> None:
    projects = kclient.CustomObjectsApi(kubesim_server.api_client())
    projects.create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", team_project(False)
    )

    refused = api.post("/api/v1/applications/gamma/rollback", headers=HEADERS, json={"id": 0})

    assert refused.status_code == 403, refused.text
    assert "gamma" in refused.json()["detail"] and "deny" in refused.json()["detail"]
    assert not (registry.application("gamma") or {}).get("operation")
    assert queued_tasks(rclient, prefix, "sync") == []
