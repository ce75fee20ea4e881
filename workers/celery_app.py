"""Bosun's Celery app: JSON only, two queues (`refresh`, `sync`), late acks, bounded redelivery.

- Broker: Redis from `BOSUN_REDIS_URL` (AUTH in the URL, `rediss://` for TLS with the system trust
  store or `BOSUN_REDIS_CA_FILE`); every broker key lives under `<redis_prefix>:celery:`.
- `acks_late` + `reject_on_worker_lost`: a task whose worker dies is redelivered after the visibility
  timeout (live workers sweep for such tasks every `RESTORE_SWEEP_SECONDS`); tasks are idempotent and count their deliveries (workers.guard) so a poison message is
  dropped after `task_max_deliveries`.
- Results are ignored: no task ever waits on another, they only enqueue (no result backend).
- Celery task events (task-sent/received/started/succeeded: four PUBLISHes per task) are off unless
  `BOSUN_TASK_EVENTS` is true; only Flower uses them (`bosun flower` also switches workers' task
  events on at runtime while it runs; the setting adds the task-sent events of the senders).
- `refresh` and `sync` are separate queues so slow syncs never starve refreshes; run workers with
  `--queues refresh,sync` or dedicated pools per queue.
- Beat has one entry, `bosun.tick`, every `tick_seconds`; the tick enqueues the apps that are due.

`celery -A workers.celery_app worker` uses the module-level `app`, built from the environment.
"""

from __future__ import annotations

import ssl
from typing import Any

from celery import Celery
from kombu import Queue

from gitops.settings import Settings, get_settings

REFRESH_QUEUE = "refresh"
RESTORE_SWEEP_SECONDS = 2
SYNC_QUEUE = "sync"
TASK_ROUTES = {
    "bosun.refresh": {"queue": REFRESH_QUEUE},
    "bosun.webhook_fanout": {"queue": REFRESH_QUEUE},
    "bosun.tick": {"queue": REFRESH_QUEUE},
    "bosun.appset_reconcile": {"queue": REFRESH_QUEUE},
    "bosun.app_finalize": {"queue": SYNC_QUEUE},
    "bosun.sync_step": {"queue": SYNC_QUEUE},
}


def broker_ssl_options(settings: Settings) -> dict[str, Any] | None:
    """TLS options for a rediss:// broker (kombu requires them to be explicit)."""
    url = settings.redis_url.get_secret_value()
    if not url.lower().startswith("rediss://") or "ssl_cert_reqs" in url:
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    return options


def task_events(settings: Settings) -> bool:
    """Whether processes send Celery task events (`BOSUN_TASK_EVENTS`, off by default: Flower only)."""
    return settings.task_events


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration for these settings (pure; tests inspect it)."""
    ssl_options = broker_ssl_options(settings)
    events = task_events(settings)
    return {
        "broker_url": settings.redis_url.get_secret_value(),
        "broker_use_ssl": ssl_options,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": settings.broker_visibility_timeout_seconds,
            # Live workers sweep for a dead worker's unacknowledged tasks every ~2 s (kombu's default is
            # every 10th sweep of 10 s, ~100 s): recovery takes visibility_timeout + ~2 s.
            "unacked_restore_interval": RESTORE_SWEEP_SECONDS,
            "unacked_restore_throttle": 1,
            "global_keyprefix": f"{settings.redis_prefix}:celery:",
        },
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.task_soft_time_limit_seconds,
        "task_time_limit": settings.task_time_limit_seconds,
        "task_queues": (Queue(REFRESH_QUEUE), Queue(SYNC_QUEUE)),
        "task_default_queue": REFRESH_QUEUE,
        "task_routes": TASK_ROUTES,
        "task_send_sent_event": events,
        "worker_send_task_events": events,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "bosun-tick": {
                "task": "bosun.tick",
                "schedule": settings.tick_seconds,
                "options": {"expires": settings.tick_seconds * 2},
            },
        },
    }


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app for `settings` (default: the process settings) with Bosun's tasks registered."""
    settings = settings or get_settings()
    celery = Celery("bosun")
    celery.conf.update(celery_config(settings))
    celery.conf.update(include=["workers.tasks", "workers.appsets", "workers.app_deletion"])
    return celery


app = make_celery()
