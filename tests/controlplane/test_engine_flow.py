"""End to end with the real engine: a git repo served on loopback, kubesim as management and
destination cluster, a real worker subprocess running Bosun's own Celery app, and the API server.
A commit plus a signed GitHub webhook gets deployed; a beat-less manual refresh picks up the first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from kubernetes import client as kclient
from pydantic import SecretStr

from gitops.coordination import RefreshRequests
from gitops.settings import Settings
from workers.enqueue import request_refresh

from .kube import REPO
from .servers import api_server
from .test_workers import Stack, wait_until
from .webhook_requests import sign
from .workers_proc import start_worker

pytestmark = pytest.mark.slow
SECRET = "engine-flow-secret"
TOOLS = REPO / ".tools" / "bin"


def configmap(value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  version: {value}\n"


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    built.env |= {
        "BOSUN_GIT_CACHE_DIR": str(tmp_path / "git-cache"),
        "BOSUN_MANIFEST_CACHE_HMAC_KEY": "engine-flow-hmac-key-0123456789",
        "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"),
        "BOSUN_HELM_PATH": str(TOOLS / "helm"),
        "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.5",
    }
    yield built
    built.stop()


def live_version(api: Any) -> str | None:
    try:
        cm = kclient.CoreV1Api(api).read_namespaced_config_map("web-config", "web")
    except kclient.ApiException:
        return None
    return str((cm.data or {}).get("version"))


def test_push_and_signed_webhook_get_deployed(stack: Stack, git_server: Any, rclient: redis.Redis) -> None:
    repo = git_server.create_repo("guestbook")
    repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    url = git_server.url("guestbook")
    stack.registry.create({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web"},
        "spec": {"project": "default",
                 "source": {"repoURL": url, "path": "apps/web", "targetRevision": "HEAD"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
                 "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}},
    })  # fmt: skip
    worker = start_worker(stack.env, stack.tmp / "engine-worker.log", "engine", app="workers.celery_app")
    stack.processes.append(worker)
    api = stack.kubesim.api_client()

    request_refresh(stack.celery, RefreshRequests(rclient, stack.keys), "web")
    wait_until(lambda: live_version(api) == "v1", timeout=90, what=f"v1 deployed\n{worker.text()[-3000:]}")

    def status() -> dict[str, Any]:
        return dict((stack.registry.application("web") or {}).get("status") or {})

    wait_until(lambda: status().get("sync", {}).get("status") == "Synced", timeout=60, what="Synced")
    assert status()["operationState"]["phase"] == "Succeeded"
    assert len(status()["history"]) == 1

    after = repo.commit({"apps/web/configmap.yaml": configmap("v2")}, "v2")
    payload = {
        "ref": "refs/heads/main", "after": after,
        "repository": {"clone_url": url, "html_url": url, "default_branch": "main"},
        "commits": [{"id": after, "added": [], "removed": [], "modified": ["apps/web/configmap.yaml"]}],
    }  # fmt: skip
    import json

    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json",
               "X-Hub-Signature-256": "sha256=" + sign(SECRET, body)}  # fmt: skip
    settings = stack.settings.model_copy(update={"webhook_github_secret": SecretStr(SECRET)})
    with api_server(settings, stack.registry) as base:
        assert httpx.post(f"{base}/api/webhook", headers=headers, content=body).json()["status"] == "queued"
    try:
        wait_until(lambda: live_version(api) == "v2", timeout=60, what="v2 deployed")
    except AssertionError:
        from gitops.coordination import EventLog

        print("STATUS", status(), "EVENTS", EventLog(rclient, stack.keys).recent("web"))
        raise
    wait_until(lambda: status().get("sync", {}).get("revision") == after, timeout=60, what="revision")
    wait_until(lambda: len(status().get("history") or []) == 2, timeout=30, what="second history entry")
    time.sleep(0.1)


def web_app(stack: Stack, url: str, **policy: Any) -> None:
    stack.registry.create({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "web", "annotations": {"bosun.dev/refresh-interval": "2s"}},
        "spec": {"project": "default",
                 "source": {"repoURL": url, "path": "apps/web", "targetRevision": "HEAD"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
                 "syncPolicy": {"automated": {"prune": True, **policy}, "syncOptions": ["CreateNamespace=true"]}},
    })  # fmt: skip


def test_beat_refresh_picks_up_a_commit_and_self_heal_reverts_drift(
    stack: Stack, git_server: Any, rclient: redis.Redis, tmp_path: Path
) -> None:
    from .workers_proc import start_beat

    repo = git_server.create_repo("guestbook")
    repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    web_app(stack, git_server.url("guestbook"), selfHeal=True)
    stack.env |= {
        "BOSUN_TICK_SECONDS": "0.5",
        "BOSUN_REFRESH_JITTER_SECONDS": "0",
        "BOSUN_REVISION_CACHE_SECONDS": "1",
    }
    worker = start_worker(stack.env, stack.tmp / "engine-worker.log", "engine", app="workers.celery_app")
    stack.processes.append(worker)
    (tmp_path / "beat").mkdir()
    stack.processes.append(start_beat(stack.env, tmp_path / "beat" / "beat.log", tmp_path / "beat"))
    api = stack.kubesim.api_client()
    wait_until(lambda: live_version(api) == "v1", timeout=90, what="v1 deployed by the beat's refresh")

    repo.commit({"apps/web/configmap.yaml": configmap("v2")}, "v2")  # no webhook
    wait_until(lambda: live_version(api) == "v2", timeout=90, what="v2 picked up by a periodic refresh")

    def v2_sync_over() -> bool:  # else the v2 operation's next step may revert the edit itself
        app = stack.registry.application("web") or {}
        state = (app.get("status") or {}).get("operationState") or {}
        return not app.get("operation") and state.get("phase") == "Succeeded"

    wait_until(v2_sync_over, timeout=90, what="the v2 sync finished")

    core = kclient.CoreV1Api(api)
    core.patch_namespaced_config_map("web-config", "web", {"data": {"version": "hand-edited"}})
    assert live_version(api) == "hand-edited"
    wait_until(lambda: live_version(api) == "v2", timeout=90, what="self-heal reverting the manual change")
    from gitops.coordination import EventLog

    def kinds() -> list[str]:
        return [e.kind for e in EventLog(rclient, stack.keys).recent("web", count=200)]

    wait_until(lambda: kinds().count("auto-sync") >= 3, what="three auto-syncs: v1, v2, the self-heal")
