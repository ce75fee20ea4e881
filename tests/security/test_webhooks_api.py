# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Bad input at the HTTP edge: webhooks (signature, size, JSON, content type, unknown events, replays)
and the REST API (tokens, unknown app, invalid sync request). The API server runs over real HTTP
(uvicorn) against kubesim and a private redis-server; queued Celery messages are read from Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import redis
from controlplane.servers import api_server, queued_tasks
from controlplane.webhook_requests import sign
from faults.stack import EngineStack
from pydantic import SecretStr

SECRET = "webhook-secret-for-bad-input"
READ, WRITE = "read-token-bad-input", "write-token-bad-input"


def push_body(repo: str = "https://github.com/acme/guestbook.git") -> bytes:
    return json.dumps({"ref": "refs/heads/main", "after": "a" * 40,
                       "repository": {"clone_url": repo, "html_url": repo.removesuffix(".git"),
                                      "default_branch": "main"},
                       "commits": [{"id": "a" * 40, "added": [], "removed": [], "modified": ["x.yaml"]}]}).encode()  # fmt: skip


def headers(body: bytes, delivery: str, **extra: str) -> dict[str, str]:
    base = {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + sign(SECRET, body)}  # fmt: skip
    base.update({k.replace("_", "-"): v for k, v in extra.items()})
    return base


@pytest.fixture
def api(stack: EngineStack) -> Iterator[str]:
    settings = stack.settings.model_copy(update={
        "webhook_github_secret": SecretStr(SECRET), "webhook_max_payload_bytes": 4096,
        "api_read_token": SecretStr(READ), "api_write_token": SecretStr(WRITE)})  # fmt: skip
    stack.application("guestbook", "https://github.com/acme/guestbook.git", "app", "guestbook")
    with api_server(settings, stack.registry) as url:
        yield url


def fanouts(stack: EngineStack, client: redis.Redis) -> int:
    return sum(1 for name, _args in queued_tasks(client, stack.settings.redis_prefix, "refresh")
               if name == "bosun.webhook_fanout")  # fmt: skip


@pytest.mark.reliability(
    case="B3 webhooks: bad signature, missing, short or garbled header, oversized, malformed, content type, "
    "unknown event, replay",
    done="POST /api/webhook (GitHub secret set, 4 KiB cap) with each bad variant, then one valid push twice "
    "with the same delivery id",
    checked="401 for bad/missing/short/garbled signatures (never 5xx), 413 over the cap, 400 malformed JSON "
    "and a wrong content type, 2xx 'ignored' for an unknown event; no fan-out task queued for any of them; "
    "the replayed delivery queues exactly one fan-out",
)
def test_webhook_bad_input(stack: EngineStack, api: str, rclient: redis.Redis) -> None:
    body = push_body()
    post = lambda h, b=body: httpx.post(f"{api}/api/webhook", headers=h, content=b)  # noqa: E731
    cases = {
        "bad signature": (
            post(headers(body, "d1", X_Hub_Signature_256="sha256=" + sign("wrong", body))),
            401,
        ),
        "missing signature": (
            post({k: v for k, v in headers(body, "d2").items() if "Signature" not in k}),
            401,
        ),
        "short signature": (post(headers(body, "d3", X_Hub_Signature_256="sha256=ab")), 401),
        "garbled signature": (
            post(headers(body, "d4", X_Hub_Signature_256="%%%~ not hex ===, sha1=zz")),
            401,
        ),
        "no algorithm": (post(headers(body, "d5", X_Hub_Signature_256=sign(SECRET, body))), 401),
    }
    big = json.dumps({"pad": "x" * 8000}).encode()
    cases["oversized"] = (post(headers(big, "d6"), big), 413)
    broken = b'{"ref": "refs/heads/main", "repository": '
    cases["malformed json"] = (post(headers(broken, "d7"), broken), 400)
    cases["wrong content type"] = (post(headers(body, "d8", Content_Type="text/plain")), 400)
    for what, (response, expected) in cases.items():
        assert response.status_code == expected, f"{what}: {response.status_code} {response.text}"
        assert response.json()["status"] == "rejected" and response.json()["error"], what
    issue = json.dumps({"action": "opened"}).encode()
    ignored = post(headers(issue, "d9", X_GitHub_Event="issues"), issue)
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    assert fanouts(stack, rclient) == 0
    first, again = post(headers(body, "replayed")), post(headers(body, "replayed"))
    assert first.status_code == 200 and first.json()["status"] == "queued"
    assert again.status_code == 200 and again.json()["status"] != "queued"
    assert fanouts(stack, rclient) == 1


@pytest.mark.reliability(
    case="B4 API: 401, 403, 404, 422",
    done="GET/POST /api/v1/applications... without a token, with a wrong token, a read token on sync and "
    "refresh, sync of an unknown app, sync with invalid bodies",
    checked="401 / 401 / 403 / 404 / 422 with a JSON error naming the problem; the app gets no operation and "
    "nothing is queued",
)
def test_api_bad_input(stack: EngineStack, api: str, rclient: redis.Redis) -> None:
    base = f"{api}/api/v1/applications"
    read, write = {"Authorization": f"Bearer {READ}"}, {"Authorization": f"Bearer {WRITE}"}
    assert httpx.get(base).status_code == 401
    assert httpx.get(base, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(base, headers={"Authorization": "Basic YTpi"}).status_code == 401
    assert httpx.get(base, headers=read).status_code == 200
    for path in ("/guestbook/sync", "/guestbook/refresh"):
        denied = httpx.post(f"{base}{path}", headers=read, json={})
        assert denied.status_code == 403, path
    missing = httpx.post(f"{base}/no-such-app/sync", headers=write, json={})
    assert missing.status_code == 404 and "no-such-app" in missing.text
    assert httpx.get(f"{base}/no-such-app", headers=read).status_code == 404
    for bad in ({"prune": "maybe"}, {"resources": "everything"}, {"syncOptions": 7}, {"dryRun": [1]}):
        answer = httpx.post(f"{base}/guestbook/sync", headers=write, json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    garbled = httpx.post(f"{base}/guestbook/sync", headers=write | {"Content-Type": "application/json"},
                         content=b"{not json")  # fmt: skip
    assert garbled.status_code == 422
    app = stack.registry.application("guestbook") or {}
    assert not app.get("operation")
    assert queued_tasks(rclient, stack.settings.redis_prefix, "sync") == []
    assert queued_tasks(rclient, stack.settings.redis_prefix, "refresh") == []
