"""Branch moves `(ref, before, after)` of push webhooks: read from every provider's payload, kept
only for a delivery verified against a configured secret, sealed while parked in Redis (real API
server, real redis-server) and dropped by the fan-out's reader when the seal does not hold."""

from __future__ import annotations

import httpx
import orjson
import pytest
import redis
from pydantic import SecretStr

from gitops.keys import Keys
from gitops.settings import Settings
from gitops.triggers.event import PushEvent
from scheduler.webhooks.payloads import interpret
from scheduler.webhooks.verify import WebhookSecrets

from .servers import api_server, queued_tasks
from .webhook_requests import PUSH_FIXTURES, body_of, signed_headers

SECRET = "moves-secret-4d1c"
HMAC = b"moves-hmac-key-0123456789"
MAIN_MOVE = ("refs/heads/main", "1" * 40, "2" * 40)
ALL = WebhookSecrets(**{p: SECRET for p in PUSH_FIXTURES})


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_a_verified_push_carries_its_branch_move(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    _delivery, event = interpret(signed_headers(provider, SECRET, body), body, ALL, "application/json")
    assert isinstance(event, PushEvent) and event.updates == (MAIN_MOVE,)


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_an_unsigned_push_triggers_but_pins_nothing(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    _delivery, event = interpret(
        signed_headers(provider, "", body), body, WebhookSecrets(), "application/json"
    )
    assert isinstance(event, PushEvent) and event.refs == ("refs/heads/main",) and event.updates == ()


def test_tag_pushes_and_deletions_carry_no_move() -> None:
    body = body_of("gitlab-tag-push.json")
    headers = signed_headers("gitlab", SECRET, body, event="Tag Push Hook")
    _delivery, event = interpret(headers, body, ALL, "application/json")
    assert isinstance(event, PushEvent) and event.updates == ()
    deleted = orjson.loads(body_of(PUSH_FIXTURES["github"]))
    deleted.update({"deleted": True, "after": "0" * 40})
    raw = orjson.dumps(deleted)
    _delivery, event = interpret(signed_headers("github", SECRET, raw), raw, ALL, "application/json")
    assert isinstance(event, PushEvent) and event.updates == ()


def test_the_seal_binds_moves_to_the_key_the_repo_and_the_named_refs() -> None:
    event = PushEvent("github", ("https://git.example/a.git",), ("refs/heads/main",), updates=(MAIN_MOVE,))
    parked = event.to_json(HMAC)
    assert PushEvent.from_json(parked, HMAC).updates == (MAIN_MOVE,)
    assert PushEvent.from_json(parked, b"another-key").updates == ()
    for tampered in (
        {**parked, "updates": [["refs/heads/main", "1" * 40, "3" * 40]]},
        {**parked, "repo_urls": ["https://git.example/b.git"]},
        {key: value for key, value in parked.items() if key != "seal"},
    ):
        assert PushEvent.from_json(tampered, HMAC).updates == ()
    other_ref = PushEvent(
        "github", ("u",), ("refs/heads/main",), updates=(("refs/heads/prod", "1" * 40, "2" * 40),)
    )
    assert PushEvent.from_json(other_ref.to_json(HMAC), HMAC).updates == ()  # a ref the push did not name


def test_the_api_parks_sealed_moves_only_for_verified_deliveries(
    settings: Settings, rclient: redis.Redis, prefix: str
) -> None:
    signed = settings.model_copy(
        update={
            "webhook_github_secret": SecretStr(SECRET),
            "manifest_cache_hmac_key": SecretStr(HMAC.decode()),
        }
    )
    body = body_of(PUSH_FIXTURES["github"])
    with api_server(signed) as url:
        assert (
            httpx.post(
                f"{url}/api/webhook", headers=signed_headers("github", SECRET, body), content=body
            ).status_code
            == 200
        )
    unsigned = signed.model_copy(update={"webhook_gitea_secret": SecretStr("")})
    gitea = body_of(PUSH_FIXTURES["gitea"])
    with api_server(unsigned) as url:
        assert (
            httpx.post(
                f"{url}/api/webhook", headers=signed_headers("gitea", "", gitea), content=gitea
            ).status_code
            == 200
        )
    events = []
    for _name, args in queued_tasks(rclient, prefix, "refresh"):
        stored = rclient.get(Keys(prefix).webhook_event(args[0]))
        assert stored is not None
        events.append(orjson.loads(stored))
    by_provider = {e["provider"]: e for e in events}
    assert PushEvent.from_json(by_provider["github"], HMAC).updates == (MAIN_MOVE,)
    assert "updates" not in by_provider["gitea"]
    assert SECRET not in str(events) and HMAC.decode() not in str(events)
