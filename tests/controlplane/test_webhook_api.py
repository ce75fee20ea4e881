"""`POST /api/webhook` over real HTTP with a real redis-server: every provider, every bad input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
import redis

from gitops.keys import Keys
from gitops.settings import Settings
from gitops.triggers.event import PushEvent

from .servers import api_server, free_port, queued_tasks
from .webhook_requests import PUSH_FIXTURES, body_of, signed_headers

SECRET = "hook-secret-marker-7f3a"


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_github_secret": settings.webhook_github_secret.__class__(SECRET),
            "webhook_gitlab_secret": settings.webhook_gitlab_secret.__class__(SECRET),
            "webhook_gitea_secret": settings.webhook_gitea_secret.__class__(SECRET),
            "webhook_gogs_secret": settings.webhook_gogs_secret.__class__(SECRET),
            "webhook_bitbucket_uuid": settings.webhook_bitbucket_uuid.__class__(SECRET),
            "webhook_bitbucketserver_secret": settings.webhook_bitbucketserver_secret.__class__(SECRET),
            "webhook_max_payload_bytes": 64 * 1024,
        }
    )


@pytest.fixture
def api(hook_settings: Settings) -> Iterator[httpx.Client]:
    with api_server(hook_settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def post(api: httpx.Client, headers: dict[str, str], body: bytes) -> httpx.Response:
    return api.post("/api/webhook", headers=headers, content=body)


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_signed_push_is_parked_and_fanout_enqueued(
    provider: str, api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    response = post(api, signed_headers(provider, SECRET, body), body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    tasks = queued_tasks(rclient, prefix, "refresh")
    assert [name for name, _ in tasks] == ["bosun.webhook_fanout"]
    (event_id,) = tasks[0][1]
    stored = rclient.get(Keys(prefix).webhook_event(event_id))
    assert stored is not None
    event = PushEvent.from_json(orjson.loads(stored))
    assert event.provider == provider and event.refs == ("refs/heads/main",)
    assert SECRET not in response.text


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_replayed_delivery_is_handled_once(
    provider: str, api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    headers = signed_headers(provider, SECRET, body)
    assert post(api, headers, body).json()["status"] == "queued"
    again = post(api, headers, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(queued_tasks(rclient, prefix, "refresh")) == 1


def test_same_body_with_new_delivery_id_is_a_new_delivery(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    body = body_of(PUSH_FIXTURES["github"])
    assert post(api, signed_headers("github", SECRET, body), body).json()["status"] == "queued"
    # a new delivery, not a duplicate; the same commit's fan-out is still queued, so it is coalesced
    assert post(api, signed_headers("github", SECRET, body), body).json()["status"] == "coalesced"
    assert len(queued_tasks(rclient, prefix, "refresh")) == 1


def test_bad_signature_is_401_and_enqueues_nothing(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    body = body_of(PUSH_FIXTURES["github"])
    response = post(api, signed_headers("github", "wrong-secret", body), body)
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert SECRET not in response.text and "wrong-secret" not in response.text
    assert queued_tasks(rclient, prefix, "refresh") == []


def test_rejected_forgery_does_not_burn_the_delivery_id(api: httpx.Client) -> None:
    body = body_of(PUSH_FIXTURES["github"])
    headers = signed_headers("github", SECRET, body)
    forged = headers | {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert post(api, forged, body).status_code == 401
    assert post(api, headers, body).json()["status"] == "queued"


@pytest.mark.parametrize("provider", ["github", "gitlab", "gitea", "gogs", "bitbucketserver"])
def test_missing_signature_is_401(provider: str, api: httpx.Client) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    assert post(api, signed_headers(provider, "", body), body).status_code == 401


def test_wrong_bitbucket_hook_uuid_is_401(api: httpx.Client) -> None:
    body = body_of(PUSH_FIXTURES["bitbucket"])
    assert post(api, signed_headers("bitbucket", "{other-uuid}", body), body).status_code == 401


@pytest.mark.parametrize("value", ["sha256=xyz", "sha1=" + "a" * 40, "garbage", "sha256=" + "a" * 65])
def test_garbled_signature_header_is_401(value: str, api: httpx.Client) -> None:
    body = body_of(PUSH_FIXTURES["github"])
    headers = signed_headers("github", SECRET, body) | {"X-Hub-Signature-256": value}
    response = post(api, headers, body)
    assert response.status_code == 401
    assert "malformed" in response.json()["error"]


def test_oversized_payload_is_413_by_declared_length(
    api: httpx.Client, rclient: redis.Redis, prefix: str
) -> None:
    body = b'{"ref": "refs/heads/main", "pad": "' + b"x" * (70 * 1024) + b'"}'
    response = post(api, signed_headers("github", SECRET, body), body)
    assert response.status_code == 413
    assert queued_tasks(rclient, prefix, "refresh") == []


def test_oversized_chunked_payload_is_413(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    headers = signed_headers("github", SECRET, b"") | {"Transfer-Encoding": "chunked"}
    response = api.post("/api/webhook", headers=headers, content=chunks())
    assert response.status_code == 413


def test_malformed_json_is_400(api: httpx.Client, hook_settings: Settings) -> None:
    body = b'{"ref": "refs/heads/main", '
    response = post(api, signed_headers("github", SECRET, body), body)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_unknown_event_is_2xx_ignored(api: httpx.Client, rclient: redis.Redis, prefix: str) -> None:
    body = b'{"action": "opened"}'
    response = post(api, signed_headers("github", SECRET, body, event="pull_request"), body)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "provider": "github", "event": "pull_request"}
    assert queued_tasks(rclient, prefix, "refresh") == []


def test_unknown_event_still_needs_a_valid_signature(api: httpx.Client) -> None:
    body = b'{"action": "opened"}'
    assert post(api, signed_headers("github", "nope", body, event="pull_request"), body).status_code == 401


def test_unknown_provider_is_400(api: httpx.Client) -> None:
    assert (
        api.post("/api/webhook", content=b"{}", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


def test_pings_answer_pong(api: httpx.Client, rclient: redis.Redis, prefix: str) -> None:
    body = body_of("github-ping.json")
    assert post(api, signed_headers("github", SECRET, body, event="ping"), body).json()["status"] == "pong"
    response = api.post("/api/webhook", headers={"X-Event-Key": "diagnostics:ping"}, content=b"")
    assert response.status_code == 200 and response.json()["status"] == "pong"
    assert queued_tasks(rclient, prefix, "refresh") == []


def test_metrics_count_webhook_outcomes(api: httpx.Client) -> None:
    body = body_of(PUSH_FIXTURES["gitlab"])
    post(api, signed_headers("gitlab", SECRET, body), body)
    post(api, signed_headers("gitlab", "bad", body), body)
    text = api.get("/metrics").text
    assert 'bosun_webhook_requests_total{outcome="queued",provider="gitlab"} 1.0' in text
    assert 'bosun_webhook_requests_total{outcome="rejected",provider="gitlab"} 1.0' in text
    assert 'bosun_queue_depth{queue="refresh"} 1.0' in text
    assert "bosun_webhook_handling_seconds_bucket" in text
    assert SECRET not in text


def test_healthz(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_redis_down_gives_503_not_a_crash(settings: Settings) -> None:
    dead = settings.model_copy(
        update={"redis_url": settings.redis_url.__class__(f"redis://:pw@127.0.0.1:{free_port()}/0")}
    )
    with api_server(dead) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/healthz").status_code == 503
        body = body_of(PUSH_FIXTURES["github"])
        response = client.post("/api/webhook", headers=signed_headers("github", "", body), content=body)
        assert response.status_code == 503
        assert "pw@" not in response.text
