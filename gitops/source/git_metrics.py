"""Counters of git traffic, kept in process; the control plane exports them to Prometheus.

`GitMetrics.inc(name, amount=1, **labels)`, `.value(name, **labels)`, `.samples()`. Names used:
- `git_requests_total{type="ls-remote"|"fetch"}`: requests sent to a git server;
- `git_request_failures_total{type=...}`: those that failed;
- `git_request_seconds_total{type=...}`: time spent in them;
- `revision_cache_total{result="hit"|"miss"|"shared"}`: resolutions served from the per-(repo, ref)
  cache, needing the ref list, or served by another caller's ls-remote;
- `snapshots_total{result="reused"|"created"}`, `evictions_total{what="snapshot"|"mirror"}`.
Labels never carry URLs or credentials.
"""

from __future__ import annotations

import threading


class GitMetrics:
    """Thread-safe named counters with string labels."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._lock = threading.Lock()

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._values.get((name, tuple(sorted(labels.items()))), 0.0)

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        with self._lock:
            return [(name, dict(labels), value) for (name, labels), value in sorted(self._values.items())]
