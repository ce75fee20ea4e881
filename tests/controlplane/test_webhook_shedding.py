"""`POST /api/webhook` under load, over real HTTP with a real redis-server: past
BOSUN_WEBHOOK_MAX_QUEUE_DEPTH queued tasks it answers 503 + Retry-After and queues nothing; pushes of
the same (repository, refs, after-sha) within a minute are coalesced into the first one's fan-out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import redis
from pydantic import SecretStr

from gitops.keys import Keys
from gitops.settings import Settings
from gitops.triggers.coalesce import push_digest
from gitops.triggers.event import PushEvent

from .servers import api_server, queued_tasks
from .webhook_requests import sign

SECRET = "shed-secret"
REPO = "https://github.com/acme/shed.git"
DEPTH = 3


def push(delivery: str, sha: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"ref": "refs/heads/main", "after": sha,
                       "repository": {"clone_url": REPO, "html_url": REPO.removesuffix(".git")},
                       "commits": [{"id": sha, "added": [], "removed": [], "modified": ["a.yaml"]}]}).encode()  # fmt: skip
    return {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + sign(SECRET, body)}, body  # fmt: skip


@pytest.fixture
def api(settings: Settings) -> Iterator[httpx.Client]:
    bounded = settings.model_copy(
        update={"webhook_github_secret": SecretStr(SECRET), "webhook_max_queue_depth": DEPTH}
    )
    with api_server(bounded) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def send(api: httpx.Client, delivery: str, sha: str) -> httpx.Response:
    headers, body = push(delivery, sha)
    return api.post("/api/webhook", headers=headers, content=body)


def test_queue_past_the_bound_gets_503_with_retry_after(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    for i in range(DEPTH + 1):  # the bound is checked before queueing: depth 0..3 still accepted
        response = send(api, f"d-{i}", f"{i:040x}")
        assert response.status_code == 200 and response.json()["status"] == "queued", response.text
    shed = send(api, "d-late", "f" * 40)
    assert shed.status_code == 503, shed.text
    assert shed.json()["status"] == "overloaded" and "retry later" in shed.json()["error"]
    assert int(shed.headers["Retry-After"]) > 0
    assert len(queued_tasks(rclient, prefix, "refresh")) == DEPTH + 1  # nothing queued for it
    assert rclient.get(Keys(prefix).webhook_fanout_pending(digest_of("f" * 40))) != "f" * 40  # not coalescing
    rclient.rpop(f"{prefix}:celery:refresh", 2)  # workers drained some: the redelivery is accepted
    again = send(api, "d-late", "f" * 40)
    assert again.status_code == 200 and again.json()["status"] == "queued", again.text


def digest_of(sha: str) -> str:
    event = PushEvent(provider="github", repo_urls=(REPO,), refs=("refs/heads/main",), after=sha)
    digest = push_digest(event)
    assert digest is not None
    return digest


def test_same_commit_from_other_deliveries_is_coalesced(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    sha = "c" * 40
    assert send(api, "hook-1", sha).json()["status"] == "queued"
    for n in range(2, 6):
        response = send(api, f"hook-{n}", sha)
        assert response.status_code == 200 and response.json()["status"] == "coalesced", response.text
    assert send(api, "hook-other", "d" * 40).json()["status"] == "queued"  # another commit: its own fan-out
    assert [name for name, _ in queued_tasks(rclient, prefix, "refresh")] == ["bosun.webhook_fanout"] * 2
    assert (
        send(api, "hook-back", sha).json()["status"] == "queued"
    )  # the ref moved back (c, d, c): fanned out
    assert send(api, "hook-back-2", sha).json()["status"] == "coalesced"
    key = Keys(prefix).webhook_fanout_pending(digest_of(sha))
    assert rclient.get(key) == sha and 0 < rclient.ttl(key) <= 60
    rclient.delete(key)  # the coalescing window ended: the same commit is fanned out again
    assert send(api, "hook-7", sha).json()["status"] == "queued"
    assert len(queued_tasks(rclient, prefix, "refresh")) == 4
