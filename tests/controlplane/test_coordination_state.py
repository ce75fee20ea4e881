"""Refresh coalescing, hot status, event streams, claims and the client factory on a real redis-server."""

from __future__ import annotations

import threading

import pytest
import redis

from gitops.coordination import Claims, EventLog, HotStatus, RefreshRequests, redis_client
from gitops.errors import ConfigError
from gitops.keys import Keys
from gitops.settings import Settings


def test_concurrent_triggers_coalesce_into_one_refresh(rclient: redis.Redis, keys: Keys) -> None:
    requests = RefreshRequests(rclient, keys, ttl_seconds=60)
    barrier = threading.Barrier(10)
    results: list[bool] = []

    def trigger() -> None:
        barrier.wait()
        results.append(requests.request("guestbook"))

    threads = [threading.Thread(target=trigger) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert requests.take("guestbook") == "normal"
    assert requests.take("guestbook") is None
    assert requests.request("guestbook") is True  # a trigger after the task started queues again


def test_hard_request_upgrades_a_queued_normal_one(rclient: redis.Redis, keys: Keys) -> None:
    requests = RefreshRequests(rclient, keys, ttl_seconds=60)
    assert requests.request("app") is True
    assert requests.request("app", hard=True) is False
    assert requests.request("app") is False  # a normal one never downgrades it
    assert requests.take("app") == "hard"


def test_pending_marker_expires(rclient: redis.Redis, keys: Keys) -> None:
    requests = RefreshRequests(rclient, keys, ttl_seconds=60)
    requests.request("app")
    assert 0 < rclient.ttl(keys.refresh_pending("app")) <= 60


def test_hot_status_prime_never_overwrites_a_fenced_write(rclient: redis.Redis, keys: Keys) -> None:
    from gitops.coordination import AppLocks

    status = HotStatus(rclient, keys)
    assert status.read("app") is None
    assert status.prime("app", {"sync": {"status": "Unknown"}}, fence=4) is True
    assert status.read("app") == {"sync": {"status": "Unknown"}}
    lease = AppLocks(rclient, keys).acquire("app", fence_floor=4)
    assert lease is not None
    status.write(lease, {"sync": {"status": "Synced"}})
    assert status.prime("app", {"sync": {"status": "Unknown"}}) is False
    assert status.read("app") == {"sync": {"status": "Synced"}}
    assert rclient.xlen(keys.app_changes()) == 1


def test_event_stream_is_capped_and_newest_first(rclient: redis.Redis, keys: Keys) -> None:
    events = EventLog(rclient, keys, max_len=5)
    for n in range(300):
        events.record("app", "refresh", f"refresh {n}", by="beat")
    recent = events.recent("app", count=3)
    assert [event.message for event in recent] == ["refresh 299", "refresh 298", "refresh 297"]
    assert recent[0].by == "beat" and recent[0].kind == "refresh" and recent[0].at > 0
    assert rclient.llen(keys.app_events("app")) == 5  # max_len 5: no slack (a tenth of it rounds down)


def test_claims_first_caller_wins_and_counts(rclient: redis.Redis, keys: Keys) -> None:
    claims = Claims(rclient)
    key = keys.due_slot("app", 7)
    assert claims.first(key, 60) is True
    assert claims.first(key, 60) is False
    claims.release(key)
    assert claims.first(key, 60) is True
    counter = keys.task_deliveries("task-1")
    assert [claims.count(counter, 60) for _ in range(3)] == [1, 2, 3]


def test_client_from_settings_uses_auth(redis_server: object, settings: Settings) -> None:
    client = redis_client(settings)
    assert client.ping() is True
    port = client.connection_pool.connection_kwargs["port"]
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port).ping()


def test_bad_redis_url_is_a_config_error_without_the_password() -> None:
    settings = Settings(redis_url="http://:sekrit-marker@127.0.0.1:1/0")  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as caught:
        redis_client(settings)
    assert "sekrit-marker" not in str(caught.value)
    assert "BOSUN_REDIS_URL" in str(caught.value)


def test_missing_tls_ca_file_is_a_config_error(tmp_path: object) -> None:
    settings = Settings(redis_url="rediss://:pw@127.0.0.1:1/0", redis_ca_file="/nonexistent/ca.pem")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        redis_client(settings)
