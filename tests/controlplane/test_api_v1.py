"""The v1 applications API over real HTTP: bearer auth, list/get with hot status, refresh, sync
requests, history, events; registry on kubesim, Redis real, tasks land on the real broker queues."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import yaml
from pydantic import SecretStr

from gitops.coordination import AppLocks, HotStatus
from gitops.keys import Keys
from gitops.registry import ApplicationRegistry
from gitops.settings import Settings

from .kube import APPS, install_crds
from .servers import api_server, queued_tasks

READ, WRITE = "read-token-x1", "write-token-y2"


@pytest.fixture
def registry(kubesim_server: Any) -> ApplicationRegistry:
    install_crds(kubesim_server.kubeconfig)
    registry = ApplicationRegistry(kubesim_server.api_client(), "bosun")
    doc = yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text())
    for name, project in (("alpha", "default"), ("beta", "team"), ("gamma", "default")):
        app = copy.deepcopy(doc)
        app["metadata"] = {"name": name}
        app["spec"]["project"] = project
        registry.create(app)
    registry.write_status("alpha", {"sync": {"status": "Synced"}, "health": {"status": "Healthy"},
                                    "history": [{"id": 0, "revision": "a" * 40}]}, fence=1)  # fmt: skip
    registry.write_status("beta", {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"}}, fence=1)
    return registry


@pytest.fixture
def api(settings: Settings, registry: ApplicationRegistry) -> Iterator[httpx.Client]:
    configured = settings.model_copy(
        update={"api_read_token": SecretStr(READ), "api_write_token": SecretStr(WRITE)}
    )
    with api_server(configured, registry) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_gate_reads_and_writes(api: httpx.Client) -> None:
    assert api.get("/api/v1/applications").status_code == 401
    assert api.get("/api/v1/applications", headers=auth("nope")).status_code == 401
    assert api.get("/api/v1/applications", headers={"Authorization": f"Basic {READ}"}).status_code == 401
    assert api.get("/api/v1/applications", headers=auth(READ)).status_code == 200
    assert api.get("/api/v1/applications", headers=auth(WRITE)).status_code == 200
    denied = api.post("/api/v1/applications/alpha/refresh", headers=auth(READ))
    assert denied.status_code == 403
    assert READ not in denied.text and WRITE not in denied.text


def test_no_tokens_configured_refuses_everything(settings: Settings, registry: ApplicationRegistry) -> None:
    with api_server(settings, registry) as url:
        assert httpx.get(f"{url}/api/v1/applications").status_code == 401
        assert httpx.get(f"{url}/api/v1/applications", headers=auth("anything")).status_code == 401


def test_list_filters_and_pages(api: httpx.Client) -> None:
    names = lambda r: [a["metadata"]["name"] for a in r.json()["items"]]  # noqa: E731
    assert names(api.get("/api/v1/applications", headers=auth(READ))) == ["alpha", "beta", "gamma"]
    assert names(api.get("/api/v1/applications?project=default", headers=auth(READ))) == ["alpha", "gamma"]
    assert names(api.get("/api/v1/applications?sync=OutOfSync", headers=auth(READ))) == ["beta"]
    first = api.get("/api/v1/applications?limit=2", headers=auth(READ)).json()
    assert [a["metadata"]["name"] for a in first["items"]] == ["alpha", "beta"]
    assert first["metadata"] == {"total": 3, "offset": 0, "next": 2}
    second = api.get("/api/v1/applications?limit=2&offset=2", headers=auth(READ)).json()
    assert [a["metadata"]["name"] for a in second["items"]] == ["gamma"] and second["metadata"][
        "next"
    ] is None


def test_get_prefers_fresher_hot_status(api: httpx.Client, rclient: redis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    lease = AppLocks(rclient, keys).acquire("alpha", fence_floor=1)
    assert lease is not None
    HotStatus(rclient, keys).write(lease, {"sync": {"status": "OutOfSync"}})
    got = api.get("/api/v1/applications/alpha", headers=auth(READ)).json()
    assert got["status"]["sync"]["status"] == "OutOfSync"
    assert got["status"]["health"]["status"] == "Healthy"  # durable fields not in the hot copy stay
    missing = api.get("/api/v1/applications/nope", headers=auth(READ))
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_refresh_queues_once(api: httpx.Client, rclient: redis.Redis, prefix: str) -> None:
    first = api.post("/api/v1/applications/alpha/refresh?hard=true", headers=auth(WRITE)).json()
    second = api.post("/api/v1/applications/alpha/refresh", headers=auth(WRITE)).json()
    assert first == {"application": "alpha", "queued": True, "hard": True}
    assert second["queued"] is False
    assert queued_tasks(rclient, prefix, "refresh") == [("bosun.refresh", ["alpha"])]
    assert api.post("/api/v1/applications/nope/refresh", headers=auth(WRITE)).status_code == 404


def test_sync_records_operation_and_queues_first_step(
    api: httpx.Client, registry: ApplicationRegistry, rclient: redis.Redis, prefix: str
) -> None:
    body = {"revision": "v2", "prune": True, "syncOptions": ["CreateNamespace=true"]}
    response = api.post("/api/v1/applications/beta/sync", headers=auth(WRITE), json=body)
    assert response.status_code == 200, response.text
    app = registry.application("beta")
    assert app is not None
    assert app["operation"]["sync"] == {
        "revision": "v2",
        "prune": True,
        "dryRun": False,
        "syncOptions": ["CreateNamespace=true"],
    }
    assert app["operation"]["initiatedBy"] == {"username": "api", "automated": False}
    assert queued_tasks(rclient, prefix, "sync") == [("bosun.sync_step", ["beta"])]
    again = api.post("/api/v1/applications/beta/sync", headers=auth(WRITE), json={})
    assert again.status_code == 409
    assert queued_tasks(rclient, prefix, "sync") == [("bosun.sync_step", ["beta"])]


def test_history_and_events(api: httpx.Client) -> None:
    history = api.get("/api/v1/applications/alpha/history", headers=auth(READ)).json()
    assert history["history"] == [{"id": 0, "revision": "a" * 40}]
    api.post("/api/v1/applications/alpha/refresh", headers=auth(WRITE))
    events = api.get("/api/v1/applications/alpha/events", headers=auth(READ)).json()["events"]
    assert events[0]["kind"] == "refresh-requested" and events[0]["by"] == "api"


def test_openapi_is_published(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/webhook", "/api/v1/applications", "/api/v1/applications/{name}/sync"} <= set(paths)


def test_stream_sends_status_changes(api: httpx.Client, rclient: redis.Redis, prefix: str) -> None:
    import threading
    import time

    keys = Keys(prefix)

    def write_later() -> None:
        time.sleep(0.5)
        locks, hot = AppLocks(rclient, keys), HotStatus(rclient, keys)
        for name, sync in (("beta", "Synced"), ("alpha", "OutOfSync")):
            lease = locks.acquire(name, fence_floor=1)
            assert lease is not None
            hot.write(lease, {"sync": {"status": sync}})

    writer = threading.Thread(target=write_later)
    with api.stream("GET", "/api/v1/stream/applications?name=alpha", headers=auth(READ)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        writer.start()
        data = None
        for line in response.iter_lines():
            if line.startswith("data: "):
                data = line[len("data: ") :]
                break
    writer.join()
    assert data is not None
    event = json.loads(data)
    assert (
        event["name"] == "alpha"
        and event["status"] == {"sync": {"status": "OutOfSync"}}
        and event["fence"] == 2
    )


def test_stream_needs_a_token(api: httpx.Client) -> None:
    assert api.get("/api/v1/stream/applications").status_code == 401


def test_user_refresh_forgets_cached_resolutions_of_the_apps_repo(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    from gitops.source.repo_url import repo_digest

    keys = Keys(prefix)
    digest = repo_digest("https://github.com/argoproj/argocd-example-apps.git")
    other = repo_digest("https://github.com/acme/other.git")
    for key in (keys.git_refs(digest), keys.revision(digest, "HEAD"), keys.git_refs(other)):
        rclient.set(key, "cached")
    assert api.post("/api/v1/applications/alpha/refresh", headers=auth(WRITE)).status_code == 200
    assert rclient.get(keys.git_refs(digest)) is None and rclient.get(keys.revision(digest, "HEAD")) is None
    assert rclient.get(keys.git_refs(other)) == "cached"
