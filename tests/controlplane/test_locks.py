"""App locks against a real redis-server: one winner per race, fencing of stale holders, renewal."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from gitops.coordination import AppLocks, HotStatus, Lease
from gitops.errors import LockLostError
from gitops.keys import Keys


def test_many_contenders_exactly_one_wins(redis_server: object, rclient: redis.Redis, keys: Keys) -> None:
    port = rclient.connection_pool.connection_kwargs["port"]
    password = rclient.connection_pool.connection_kwargs["password"]
    barrier = threading.Barrier(8)
    leases: list[Lease | None] = []
    guard = threading.Lock()

    def contend() -> None:
        own = redis.Redis(port=port, password=password, decode_responses=True)
        locks = AppLocks(own, keys, ttl_seconds=30)
        barrier.wait()
        lease = locks.acquire("guestbook")
        with guard:
            leases.append(lease)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [lease for lease in leases if lease is not None]
    assert len(leases) == 8
    assert len(winners) == 1
    assert winners[0].fence == 1


def test_stale_holder_write_is_rejected_by_fence(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys, ttl_seconds=0.15)
    status = HotStatus(rclient, keys)
    stale = locks.acquire("guestbook")
    assert stale is not None
    time.sleep(0.3)  # the holder stalls past its TTL
    fresh = locks.acquire("guestbook")
    assert fresh is not None and fresh.fence > stale.fence

    status.write(fresh, {"sync": {"status": "Synced"}})
    with pytest.raises(LockLostError) as caught:
        status.write(stale, {"sync": {"status": "OutOfSync"}})
    assert "guestbook" in str(caught.value)
    assert status.read("guestbook") == {"sync": {"status": "Synced"}}
    assert status.fence("guestbook") == fresh.fence
    assert locks.renew(stale) is False
    assert locks.release(stale) is False  # never releases the new holder's lock
    assert locks.holder_ttl_ms("guestbook") > 0


def test_write_allowed_while_no_newer_fence_exists(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys, ttl_seconds=0.1)
    status = HotStatus(rclient, keys)
    lease = locks.acquire("app")
    assert lease is not None
    time.sleep(0.2)  # expired but nobody took over: the result is still the newest
    status.write(lease, {"health": {"status": "Healthy"}})
    assert status.read("app") == {"health": {"status": "Healthy"}}


def test_fence_increases_on_every_acquire(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys)
    fences = []
    for _ in range(3):
        lease = locks.acquire("app")
        assert lease is not None
        fences.append(lease.fence)
        assert locks.release(lease)
    assert fences == [1, 2, 3]
    assert locks.current_fence("app") == 3


def test_fence_floor_keeps_fencing_monotonic_after_redis_flush(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys)
    lease = locks.acquire("app", fence_floor=57)  # durable status said fence 57
    assert lease is not None and lease.fence == 58
    locks.release(lease)
    again = locks.acquire("app", fence_floor=10)  # a lower floor never moves the counter back
    assert again is not None and again.fence == 59


def test_keeper_renews_while_working_and_releases_after(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys, ttl_seconds=0.3)
    lease = locks.acquire("app")
    assert lease is not None
    with locks.keep(lease) as keeper:
        time.sleep(1.0)  # more than three TTLs
        assert locks.acquire("app") is None
        assert not keeper.lost
        keeper.check()
    assert locks.holder_ttl_ms("app") < 0
    assert locks.acquire("app") is not None


def test_keeper_notices_a_lost_lock(rclient: redis.Redis, keys: Keys) -> None:
    locks = AppLocks(rclient, keys, ttl_seconds=0.3)
    lease = locks.acquire("app")
    assert lease is not None
    with locks.keep(lease) as keeper:
        rclient.delete(keys.app_lock("app"))
        other = locks.acquire("app")
        assert other is not None
        deadline = time.monotonic() + 3
        while not keeper.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert keeper.lost
        with pytest.raises(LockLostError):
            keeper.check()
    assert locks.holder_ttl_ms("app") > 0  # the other holder's lock survived our exit
