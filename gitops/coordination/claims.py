"""One-shot claims in Redis: the first caller for a key wins for a while (SET NX EX), and counters.

Used for webhook delivery dedupe, beat due slots (two beats, one enqueue) and bounded redelivery.
"""

from __future__ import annotations

import redis


class Claims:
    """`first(key, ttl)` is True for exactly one caller until the key expires."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def first(self, key: str, ttl_seconds: int, value: str = "1") -> bool:
        return bool(self.client.set(key, value, nx=True, ex=max(1, int(ttl_seconds))))

    def release(self, key: str) -> None:
        """Undo a claim (the claimed work could not be started)."""
        self.client.delete(key)

    def count(self, key: str, ttl_seconds: int) -> int:
        """Increment and return a counter that expires `ttl_seconds` after its first increment.

        One round trip of two commands: `SET 0 NX EX` creates the counter with its TTL before `INCR`
        (which keeps the TTL), so no interleaving or lost connection can leave a counter without one."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(key, 0, nx=True, ex=max(1, int(ttl_seconds)))
        pipe.incr(key)
        _, value = pipe.execute()
        return int(value)
