"""The shared cache port: MemoryCache honours TTLs on its clock; RedisCache behaves the same on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from gitserver import private_redis

from gitops.cache import ByteCache, MemoryCache, RedisCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_cache_honours_ttl_on_injected_clock() -> None:
    clock = Clock()
    cache = MemoryCache(clock)
    cache.set("k", b"v", 10)
    cache.set("forever", b"f", None)
    clock.now += 9.9
    assert cache.get("k") == b"v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert cache.get("forever") == b"f"
    cache.set("zero", b"z", 0)
    assert cache.get("zero") is None


def test_memory_cache_add_is_set_if_absent() -> None:
    clock = Clock()
    cache = MemoryCache(clock)
    assert cache.add("lock", b"a", 5)
    assert not cache.add("lock", b"b", 5)
    assert cache.get("lock") == b"a"
    clock.now += 6
    assert cache.add("lock", b"c", 5)
    cache.delete("lock")
    assert cache.get("lock") is None


@pytest.fixture
def redis_client(tmp_path: Path) -> Iterator[redis.Redis]:
    with private_redis(tmp_path / "redis") as client:
        yield client


def test_redis_cache_roundtrip_ttl_and_add(redis_client: redis.Redis) -> None:
    cache: ByteCache = RedisCache(redis_client)
    cache.set("bosun:test:k", b"\x00\xffbytes", 30)
    assert cache.get("bosun:test:k") == b"\x00\xffbytes"
    ttl_ms = redis_client.pttl("bosun:test:k")
    assert 0 < int(ttl_ms) <= 30_000
    cache.set("bosun:test:forever", b"f", None)
    assert int(redis_client.pttl("bosun:test:forever")) == -1
    assert cache.add("bosun:test:lock", b"a", 5)
    assert not cache.add("bosun:test:lock", b"b", 5)
    assert cache.get("bosun:test:lock") == b"a"
    cache.delete("bosun:test:lock")
    assert cache.get("bosun:test:lock") is None
    cache.set("bosun:test:k", b"gone", 0)
    assert cache.get("bosun:test:k") is None
    assert isinstance(cache, ByteCache)
