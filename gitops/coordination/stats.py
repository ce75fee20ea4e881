"""Cluster-wide counters in one Redis hash: every worker process adds to them, the API server reads
them for /metrics, so Prometheus sees totals across all workers without scraping each of them."""

from __future__ import annotations

import math

import redis

from gitops.keys import Keys

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Stats:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.stats()

    def incr(self, field: str, by: int = 1) -> None:
        self.client.hincrby(self.key, field, by)

    def observe(self, name: str, seconds: float) -> None:
        """Add one observation to histogram `name` (cumulative buckets, sum and count)."""
        pipe = self.client.pipeline(transaction=False)
        for bound in DURATION_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(self.key, f"{name}:le:{bound}", 1)
        pipe.hincrby(self.key, f"{name}:le:+Inf", 1)
        pipe.hincrbyfloat(self.key, f"{name}:sum", seconds)
        pipe.hincrby(self.key, f"{name}:count", 1)
        pipe.execute()

    def read(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in (self.client.hgetall(self.key) or {}).items()}

    def histogram(self, name: str) -> tuple[list[tuple[str, float]], float]:
        """(cumulative buckets [(le, count)], sum) of histogram `name`."""
        values = self.read()
        buckets = [(str(b), values.get(f"{name}:le:{b}", 0.0)) for b in DURATION_BUCKETS]
        buckets.append(("+Inf", values.get(f"{name}:le:+Inf", 0.0)))
        total = values.get(f"{name}:sum", 0.0)
        return buckets, total if math.isfinite(total) else 0.0
