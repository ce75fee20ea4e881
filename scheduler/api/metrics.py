"""Prometheus metrics of the API server: webhook outcomes and latency, queue depths, API requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from scheduler.api.state import ServerState

QUEUES = ("refresh", "sync")


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
