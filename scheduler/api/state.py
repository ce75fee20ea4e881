"""What the API server holds for its lifetime: settings, Redis, coordination objects, the Celery app
used only to send tasks, the webhook sink, the registry, and its Prometheus registry."""

from __future__ import annotations

from functools import cached_property

import redis
from celery import Celery
from prometheus_client import CollectorRegistry

from gitops.coordination import EventLog, HotStatus, RefreshRequests, redis_client
from gitops.keys import Keys
from gitops.registry import ApplicationRegistry, management_api_client
from gitops.settings import Settings
from scheduler.api.metrics import ApiMetrics
from scheduler.webhooks.sink import WebhookSink
from scheduler.webhooks.verify import WebhookSecrets
from workers.celery_app import REFRESH_QUEUE, make_celery


class ServerState:
    def __init__(self, settings: Settings, registry: ApplicationRegistry | None = None) -> None:
        self.settings = settings
        self.keys = Keys(settings.redis_prefix)
        self.redis: redis.Redis = redis_client(settings)
        self.celery: Celery = make_celery(settings)
        self.prometheus = CollectorRegistry()
        self.metrics = ApiMetrics(self.prometheus, self)
        self.secrets = WebhookSecrets(
            github=settings.webhook_github_secret.get_secret_value(),
            gitlab=settings.webhook_gitlab_secret.get_secret_value(),
            gitea=settings.webhook_gitea_secret.get_secret_value(),
            gogs=settings.webhook_gogs_secret.get_secret_value(),
            bitbucket=settings.webhook_bitbucket_uuid.get_secret_value(),
            bitbucketserver=settings.webhook_bitbucketserver_secret.get_secret_value(),
        )
        self.sink = WebhookSink(self.redis, self.keys, self._enqueue_fanout, settings.webhook_dedupe_seconds,
                                queue_key=self.queue_key(REFRESH_QUEUE),
                                max_queue_depth=settings.webhook_max_queue_depth)  # fmt: skip
        self.refreshes = RefreshRequests(self.redis, self.keys, settings.refresh_pending_ttl_seconds)
        self.sync_steps = RefreshRequests(
            self.redis, self.keys, settings.sync_timeout_seconds + 60, key=self.keys.sync_pending
        )
        self.hot = HotStatus(self.redis, self.keys)
        self.events = EventLog(self.redis, self.keys, settings.events_max_len)
        self._registry = registry

    def _enqueue_fanout(self, event_id: str) -> None:
        self.celery.send_task("bosun.webhook_fanout", args=[event_id])

    @cached_property
    def registry(self) -> ApplicationRegistry:
        if self._registry is not None:
            return self._registry
        return ApplicationRegistry(management_api_client(self.settings), self.settings.namespace)

    def queue_key(self, queue: str) -> str:
        """The Redis list holding a Celery queue (kombu's key under Bosun's broker prefix)."""
        return f"{self.settings.redis_prefix}:celery:{queue}"
