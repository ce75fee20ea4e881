"""Pushes a worker's in-process source counters (gitops.source.git_metrics.GitMetrics: git requests by
type, renders, manifest and revision cache results) into the cross-worker Stats hash, as deltas
since the last push, so the API server's /metrics shows totals over every worker process.

Fields are `git:<counter>:<label>=<value>,...` (`git:renders_failed_total:` without labels); the API
exports each counter as `bosun_<counter>` (scheduler/api/metrics.py). Called after every refresh and
sync step; a push that fails (Redis down) is retried with the next one, nothing is lost.
"""

from __future__ import annotations

import threading

from gitops.coordination import Stats
from gitops.source.git_metrics import GitMetrics

FIELD_PREFIX = "git:"


def stats_field(name: str, labels: dict[str, str]) -> str:
    return f"{FIELD_PREFIX}{name}:" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def parse_stats_field(field: str) -> tuple[str, dict[str, str]] | None:
    """(counter name, labels) of a field `stats_field` wrote, None for any other field."""
    if not field.startswith(FIELD_PREFIX):
        return None
    name, sep, rest = field[len(FIELD_PREFIX) :].partition(":")
    if not name or not sep:
        return None
    labels = dict(pair.partition("=")[::2] for pair in rest.split(",") if pair)
    return name, labels


class GitStatsPusher:
    def __init__(self, metrics: GitMetrics, stats: Stats) -> None:
        self.metrics, self.stats = metrics, stats
        self._pushed: dict[str, float] = {}
        self._lock = threading.Lock()

    def push(self) -> None:
        with self._lock:
            current = {stats_field(name, labels): value for name, labels, value in self.metrics.samples()}
            deltas = {
                f: v - self._pushed.get(f, 0.0) for f, v in current.items() if v != self._pushed.get(f, 0.0)
            }
            if not deltas:
                return
            pipe = self.stats.client.pipeline(transaction=False)
            for field, delta in deltas.items():
                pipe.hincrbyfloat(self.stats.key, field, delta)
            pipe.execute()
            self._pushed.update({f: current[f] for f in deltas})
