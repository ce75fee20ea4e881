"""A signed push webhook's branch move primes the revision cache (real git server, kubesim, a real
worker process, the API server): the pushed commit is deployed with no ls-remote after the webhook.
An unsigned webhook claiming another commit only triggers a refresh: what the branch really points
at is deployed, never the commit the payload named."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from gitops.coordination import RefreshRequests
from gitops.settings import Settings
from workers.enqueue import request_refresh

from .servers import api_server
from .test_engine_flow import configmap, live_version, stack  # noqa: F401  (stack: the fixture)
from .test_workers import Stack, wait_until
from .webhook_requests import sign
from .workers_proc import start_worker

pytestmark = pytest.mark.slow
SECRET = "priming-secret"
LS_REMOTES = "git:git_requests_total:type=ls-remote"
ADVANCED = "git:revision_cache_total:result=advanced"


def push_body(url: str, before: str, after: str) -> bytes:
    payload = {
        "ref": "refs/heads/main", "before": before, "after": after,
        "repository": {"clone_url": url, "html_url": url, "default_branch": "main"},
        "commits": [{"id": after, "added": [], "removed": [], "modified": ["apps/web/configmap.yaml"]}],
    }  # fmt: skip
    return json.dumps(payload).encode()


def post(settings: Settings, stack: Stack, body: bytes, secret: str, delivery: str) -> None:  # noqa: F811
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "Content-Type": "application/json"}
    if secret:
        headers["X-Hub-Signature-256"] = "sha256=" + sign(secret, body)
    key = SecretStr(stack.env["BOSUN_MANIFEST_CACHE_HMAC_KEY"])
    with api_server(settings.model_copy(update={"manifest_cache_hmac_key": key}), stack.registry) as base:
        assert httpx.post(f"{base}/api/webhook", headers=headers, content=body).json()["status"] == "queued"


def counter(rclient: redis.Redis, stack: Stack, field: str) -> float:  # noqa: F811
    return float(rclient.hget(stack.keys.stats(), field) or 0)


def test_signed_move_is_deployed_without_ls_remote_unsigned_claims_are_not_trusted(
    stack: Stack,  # noqa: F811  (the fixture imported from test_engine_flow)
    git_server: Any,
    rclient: redis.Redis,
) -> None:
    repo = git_server.create_repo("guestbook")
    v1 = repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    url = git_server.url("guestbook")
    stack.registry.create({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web"},
        "spec": {"project": "default",
                 "source": {"repoURL": url, "path": "apps/web", "targetRevision": "HEAD"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
                 "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}},
    })  # fmt: skip
    worker = start_worker(stack.env, stack.tmp / "priming-worker.log", "priming", app="workers.celery_app")
    stack.processes.append(worker)
    api = stack.kubesim.api_client()
    request_refresh(stack.celery, RefreshRequests(rclient, stack.keys), "web")
    wait_until(lambda: live_version(api) == "v1", timeout=90, what=f"v1 deployed\n{worker.text()[-3000:]}")

    def status() -> dict[str, Any]:
        return dict((stack.registry.application("web") or {}).get("status") or {})

    wait_until(lambda: status().get("sync", {}).get("status") == "Synced", timeout=60, what="Synced")
    listed = counter(rclient, stack, LS_REMOTES)
    assert listed >= 1

    signed = stack.settings.model_copy(update={"webhook_github_secret": SecretStr(SECRET)})
    v2 = repo.commit({"apps/web/configmap.yaml": configmap("v2")}, "v2")
    post(signed, stack, push_body(url, v1, v2), SECRET, "d-signed")
    wait_until(lambda: live_version(api) == "v2", timeout=60, what=f"v2 deployed\n{worker.text()[-3000:]}")
    wait_until(lambda: status().get("sync", {}).get("revision") == v2, timeout=60, what="revision v2")
    assert counter(rclient, stack, LS_REMOTES) == listed  # resolved from the push, not listed again
    assert counter(rclient, stack, ADVANCED) >= 1

    # unsigned: an older commit claimed as main's new head
    evil = repo.commit({"apps/web/configmap.yaml": configmap("evil")}, "evil")
    v3 = repo.commit({"apps/web/configmap.yaml": configmap("v3")}, "v3")  # what main really is
    unsigned = stack.settings.model_copy(update={"webhook_github_secret": SecretStr("")})
    post(unsigned, stack, push_body(url, v2, evil), "", "d-unsigned")
    wait_until(lambda: live_version(api) == "v3", timeout=60, what=f"v3 deployed\n{worker.text()[-3000:]}")
    wait_until(lambda: status().get("sync", {}).get("revision") == v3, timeout=60, what="revision v3")
    assert counter(rclient, stack, LS_REMOTES) == listed + 1  # listed again: nothing was pinned
    assert all(entry.get("revision") != evil for entry in status().get("history") or [])
