"""The shared byte cache port: one small interface, Redis in production, memory in unit tests.

Every cache Bosun shares between workers and hosts (resolved revisions, git ref lists, rendered
manifests) goes through `ByteCache`. Keys come from `gitops.keys.Keys`; values are opaque bytes.

    class ByteCache(Protocol):
        get(key) -> bytes | None
        set(key, value, ttl_seconds)      # ttl None = no expiry; ttl <= 0 stores nothing
        delete(key)
        add(key, value, ttl_seconds) -> bool   # set only if absent (a short lock / single flight)

`MemoryCache(clock=time.monotonic)` honours TTLs against an injectable clock; `RedisCache(client)`
wraps a `redis.Redis` (SET PX / SET NX PX / GET / DEL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import redis


@runtime_checkable
class ByteCache(Protocol):
    """Bytes by key with an optional lifetime, shared by every worker that uses the same backend."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: float | None) -> None: ...

    def delete(self, key: str) -> None: ...

    def add(self, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        """Store only if the key is absent; True when this call stored it."""
        ...


def _ttl_ms(ttl_seconds: float | None) -> int | None:
    if ttl_seconds is None:
        return None
    return max(1, round(ttl_seconds * 1000))


class MemoryCache:
    """In-process `ByteCache` for unit tests; TTLs are measured with the injected clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[bytes, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and self._clock() >= expires:
            del self._items[key]
            return None
        return value

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: bytes, ttl_seconds: float | None) -> None:
        with self._lock:
            if ttl_seconds is not None and ttl_seconds <= 0:
                self._items.pop(key, None)
                return
            expires = None if ttl_seconds is None else self._clock() + ttl_seconds
            self._items[key] = (bytes(value), expires)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def add(self, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            if ttl_seconds is not None and ttl_seconds <= 0:
                return False
            expires = None if ttl_seconds is None else self._clock() + ttl_seconds
            self._items[key] = (bytes(value), expires)
            return True


class RedisCache:
    """`ByteCache` on Redis, shared by every worker on every host. The client must not decode responses."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def get(self, key: str) -> bytes | None:
        value = self._client.get(key)
        if value is None:
            return None
        if isinstance(value, str):  # a client built with decode_responses=True
            return value.encode()
        return bytes(value)

    def set(self, key: str, value: bytes, ttl_seconds: float | None) -> None:
        if ttl_seconds is not None and ttl_seconds <= 0:
            self._client.delete(key)
            return
        self._client.set(key, value, px=_ttl_ms(ttl_seconds))

    def delete(self, key: str) -> None:
        self._client.delete(key)

    def add(self, key: str, value: bytes, ttl_seconds: float | None) -> bool:
        if ttl_seconds is not None and ttl_seconds <= 0:
            return False
        return bool(self._client.set(key, value, px=_ttl_ms(ttl_seconds), nx=True))
