"""Refresh coalescing: at most one queued refresh per app, whatever the number of triggers.

A trigger (webhook, beat tick, API, watch) calls `request`; only the caller that gets True enqueues
the task. The task calls `take` first thing, so a trigger arriving while it works queues a new one.

A normal request is one command (`SET NX EX`). A hard one upgrades a queued normal marker in place
(`SET XX KEEPTTL`); when the marker vanished in between (the task took it), it tries `SET NX` again,
so a hard request is never lost: either the task takes the upgraded marker or this caller enqueues.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from gitops.keys import Keys

NORMAL = "normal"
HARD = "hard"


class RefreshRequests:
    """Per-app pending markers (`Keys.refresh_pending`, or `Keys.sync_pending` for sync steps) with a
    TTL covering lost messages."""

    def __init__(
        self, client: redis.Redis, keys: Keys, ttl_seconds: int = 600, key: Callable[[str], str] | None = None
    ) -> None:
        self.client = client
        self.keys = keys
        self.ttl_seconds = ttl_seconds
        self.key = key or keys.refresh_pending

    def request(self, app: str, hard: bool = False) -> bool:
        """Mark the app as needing a refresh; True when the caller must enqueue the refresh task.

        A hard request upgrades an already-queued normal one instead of queueing another.
        """
        key, ttl = self.key(app), max(1, int(self.ttl_seconds))
        if not hard:
            return bool(self.client.set(key, NORMAL, nx=True, ex=ttl))
        while True:
            if self.client.set(key, HARD, nx=True, ex=ttl):
                return True
            if self.client.set(key, HARD, xx=True, keepttl=True):
                return False

    def take(self, app: str) -> str | None:
        """Consume the marker at the start of a refresh: "hard", "normal", or None if none was set."""
        value = self.client.getdel(self.key(app))
        return str(value) if value is not None else None

    def pending(self, app: str) -> str | None:
        value = self.client.get(self.key(app))
        return str(value) if value is not None else None

    def cancel(self, app: str) -> None:
        """Remove the marker (used when enqueueing failed, so the next trigger retries)."""
        self.client.delete(self.key(app))
