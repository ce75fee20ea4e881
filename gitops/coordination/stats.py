"""Cluster-wide counters in one Redis hash: every worker process adds to them, the API server reads
them for /metrics, so Prometheus sees totals across all workers without scraping each of them.

Writes are batched: `stage` only adds a delta in memory, `incr` and `observe` send everything staged
with their own fields in one pipeline (one round trip), and `flush` sends what is left (the worker
calls it after each task). A histogram observation touches two fields (its bucket and the sum; the
count is the cumulative +Inf bucket): buckets are stored per bucket (`<name>:b:<le>`) and made
cumulative when read. Deltas that could
not be sent (Redis down) stay staged and go with the next write, so nothing is lost.
"""

from __future__ import annotations

import math
import threading

import redis

from gitops.keys import Keys

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def bucket_bound(seconds: float) -> str:
    """The `le` label of the smallest bucket holding `seconds` ("+Inf" past the last one)."""
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "+Inf"


class Stats:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.stats()
        self._staged: dict[str, float] = {}
        self._lock = threading.Lock()

    def stage(self, field: str, delta: float) -> None:
        """Add `delta` to `field` with the next write (no round trip now)."""
        if not delta:
            return
        with self._lock:
            self._staged[field] = self._staged.get(field, 0) + delta

    def staged(self) -> dict[str, float]:
        """The deltas not sent yet."""
        with self._lock:
            return dict(self._staged)

    def incr(self, field: str, by: int = 1) -> None:
        self.stage(field, by)
        self.flush()

    def observe(self, name: str, seconds: float) -> None:
        """Add one observation to histogram `name` (its bucket and the sum; the count is the +Inf
        bucket) and send it."""
        self.stage(f"{name}:b:{bucket_bound(seconds)}", 1)
        if math.isfinite(seconds):
            self.stage(f"{name}:sum", seconds)
        self.flush()

    def flush(self) -> None:
        """Send every staged delta in one pipeline; on a Redis error they stay staged and it raises."""
        with self._lock:
            batch, self._staged = self._staged, {}
        if not batch:
            return
        pipe = self.client.pipeline(transaction=False)
        for field, delta in batch.items():  # float increments: a field may hold seconds (git counters)
            pipe.hincrbyfloat(self.key, field, delta)
        try:
            pipe.execute()
        except redis.RedisError:
            with self._lock:
                for field, delta in batch.items():
                    self._staged[field] = self._staged.get(field, 0) + delta
            raise

    def read(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in (self.client.hgetall(self.key) or {}).items()}

    def histogram(self, name: str) -> tuple[list[tuple[str, float]], float]:
        """(cumulative buckets [(le, count)], sum) of histogram `name`.

        Also counts the cumulative `<name>:le:<bound>` fields older workers wrote, so totals stay
        right while old and new workers share one hash."""
        values = self.read()
        buckets: list[tuple[str, float]] = []
        running = 0.0
        for bound in (*(str(b) for b in DURATION_BUCKETS), "+Inf"):
            running += values.get(f"{name}:b:{bound}", 0.0)
            buckets.append((bound, running + values.get(f"{name}:le:{bound}", 0.0)))
        total = values.get(f"{name}:sum", 0.0)
        return buckets, total if math.isfinite(total) else 0.0
