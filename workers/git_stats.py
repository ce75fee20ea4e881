"""Pushes a worker's in-process source counters (gitops.source.git_metrics.GitMetrics: git requests by
type, renders, manifest and revision cache results) into the cross-worker Stats hash, as deltas
since the last push, so the API server's /metrics shows totals over every worker process.

Fields are `git:<counter>:<label>=<value>,...` (`git:renders_failed_total:` without labels); the API
exports each counter as `bosun_<counter>` (scheduler/api/metrics.py). Called after every refresh and
sync step; a push only stages the deltas in `Stats` (no round trip): they reach Redis in the same
pipeline as the task's next Stats write (the reconcile-duration observation of a refresh) or with the
flush after each task (workers/tasks.py). Deltas that could not be sent stay staged, nothing is lost.
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
        """Stage the counters' growth since the last push (sent with the next Stats write or flush)."""
        with self._lock:
            current = {stats_field(name, labels): value for name, labels, value in self.metrics.samples()}
            for field, value in current.items():
                delta = value - self._pushed.get(field, 0.0)
                if delta:
                    self.stats.stage(field, delta)
                    self._pushed[field] = value
