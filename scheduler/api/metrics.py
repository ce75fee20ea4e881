"""Prometheus metrics of the API server: webhook outcomes and latency, queue depths, and the totals
workers keep in Redis (lock contention, syncs by phase, reconcile duration, git requests, renders and manifest cache
results) plus one info series per
app with its sync and health status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from gitops.coordination import Stats
from workers.git_stats import parse_stats_field

if TYPE_CHECKING:
    from scheduler.api.state import ServerState

QUEUES = ("refresh", "sync")
SOURCE_COUNTERS = {
    "git_requests_total": "Requests sent to git servers by type (ls-remote, fetch)",
    "git_request_failures_total": "Git requests that failed, by type",
    "git_request_seconds_total": "Seconds spent in git requests, by type",
    "renders_total": "Manifest renders by tool",
    "renders_failed_total": "Manifest renders that failed",
    "manifest_cache_total": "Manifest lookups by result (hit, miss, reused)",
    "revision_cache_total": "Revision resolutions by result (hit, miss, shared, ...)",
}


class _QueueDepth(Collector):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "bosun_queue_depth", "Tasks waiting in each Celery queue", labels=["queue"]
        )
        for queue in QUEUES:
            try:
                depth = int(self.state.redis.llen(self.state.queue_key(queue)))
            except Exception:
                continue
            family.add_metric([queue], depth)
        yield family


class _ClusterStats(Collector):
    """Totals all workers keep in Redis (gitops.coordination.Stats) and app info from hot status."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        stats = Stats(self.state.redis, self.state.keys)
        try:
            values = stats.read()
            buckets, total = stats.histogram("reconcile_seconds")
            apps = self._apps()
        except Exception:
            return
        contention = CounterMetricFamily(
            "bosun_lock_contention", "Tasks that found their app locked", labels=["task"]
        )
        syncs = CounterMetricFamily("bosun_syncs", "Finished sync operations by phase", labels=["phase"])
        for field, value in sorted(values.items()):
            if field.startswith("lock_busy:"):
                contention.add_metric([field.split(":", 1)[1]], value)
            elif field.startswith("sync_phase:"):
                syncs.add_metric([field.split(":", 1)[1]], value)
        yield contention
        yield syncs
        yield from _source_counters(values)
        yield HistogramMetricFamily("bosun_reconcile_duration_seconds", "Time a refresh spends reconciling",
                                    buckets=buckets, sum_value=total)  # fmt: skip
        info = GaugeMetricFamily("bosun_app_info", "One per app: its sync and health status",
                                 labels=["name", "sync_status", "health_status"])  # fmt: skip
        for name, status in apps:
            info.add_metric([name, str((status.get("sync") or {}).get("status") or "Unknown"),
                             str((status.get("health") or {}).get("status") or "Unknown")], 1)  # fmt: skip
        yield info

    def _apps(self) -> list[tuple[str, dict[str, Any]]]:
        """Hot status of every app: SCAN, then the documents in pipelined batches (a round trip per
        thousand apps, not one per app)."""
        prefix = self.state.keys.app_status("")
        names = [
            str(key)[len(prefix) :] for key in self.state.redis.scan_iter(match=prefix + "*", count=1000)
        ]
        return sorted(self.state.hot.read_many(names).items())


def _source_counters(values: dict[str, float]) -> Iterator[CounterMetricFamily]:
    """`bosun_git_requests_total{type}`, `bosun_renders_total{tool}`, `bosun_manifest_cache_total{result}`
    ... : the workers' source counters (workers.git_stats), summed over every worker process."""
    families: dict[str, CounterMetricFamily] = {}
    for field, value in sorted(values.items()):
        parsed = parse_stats_field(field)
        if parsed is None:
            continue
        name, labels = parsed
        family = families.get(name)
        if family is None:
            help_text = SOURCE_COUNTERS.get(name, "Source counter kept by the workers")
            family = families[name] = CounterMetricFamily(f"bosun_{name.removesuffix('_total')}", help_text,
                                                          labels=sorted(labels))  # fmt: skip
        family.add_metric([labels[k] for k in sorted(labels)], value)
    yield from families.values()


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry, state: ServerState) -> None:
        self.webhooks = Counter(
            "bosun_webhook_requests", "Webhook deliveries by provider and outcome", ["provider", "outcome"],
            registry=registry,
        )  # fmt: skip
        self.webhook_seconds = Histogram(
            "bosun_webhook_handling_seconds", "Time to answer a webhook delivery", registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )  # fmt: skip
        self.requests = Counter(
            "bosun_api_requests", "API requests by route and status", ["route", "status"], registry=registry
        )
        registry.register(_QueueDepth(state))
        registry.register(_ClusterStats(state))
