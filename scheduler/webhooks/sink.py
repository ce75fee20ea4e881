"""Where an accepted webhook delivery goes: dedupe in Redis, park the event, enqueue the fan-out.

A delivery id (or, when the provider sends none, the body's digest) is claimed with SET NX for
`dedupe_seconds`: a replay is answered 200 "duplicate" and enqueues nothing. The claim is taken
only after verification, so forged requests cannot burn real ids, and it is undone if enqueueing
fails, so the provider's retry is handled.

Overload shedding: while the fan-out queue holds more than `max_queue_depth` tasks the delivery is
answered "overloaded" (503 + Retry-After) before anything is claimed, so the provider's redelivery
is handled later. A push whose (repository, refs) got a fan-out for the same after-sha in the last
`COALESCE_SECONDS` is "coalesced" into it (that fan-out forgot the cached resolutions first, so its
refreshes see this commit); another sha (even one pushed before: A, B, A) always gets a fan-out.
The parked event's branch moves are sealed with `seal_key` (see gitops.triggers.event).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import orjson
import redis

from gitops.coordination import Claims
from gitops.keys import Keys
from gitops.triggers.coalesce import COALESCE_SECONDS, push_digest
from gitops.triggers.event import PushEvent
from scheduler.webhooks.providers import Delivery

EVENT_TTL_SECONDS = 3600


class WebhookSink:
    """Accepts verified push events: returns "queued", "duplicate", "coalesced" or "overloaded"."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        enqueue_fanout: Callable[[str], None],
        dedupe_seconds: int = 86400,
        queue_key: str | None = None,
        max_queue_depth: int = 0,
    ) -> None:
        self.client = client
        self.keys = keys
        self.claims = Claims(client)
        self.enqueue_fanout = enqueue_fanout
        self.dedupe_seconds = dedupe_seconds
        self.queue_key = queue_key
        self.max_queue_depth = max_queue_depth

    def overloaded(self) -> bool:
        """True when the fan-out queue (a Redis list) holds more than `max_queue_depth` tasks."""
        if not self.queue_key or self.max_queue_depth <= 0:
            return False
        return int(self.client.llen(self.queue_key)) > self.max_queue_depth

    def delivery_key(self, delivery: Delivery, body: bytes) -> str:
        identity = delivery.delivery_id or "body:" + hashlib.sha256(body).hexdigest()
        return self.keys.webhook_delivery(
            delivery.provider, hashlib.sha256(identity.encode()).hexdigest()[:32]
        )

    def accept(self, delivery: Delivery, event: PushEvent, body: bytes, seal_key: bytes = b"") -> str:
        """`seal_key` (the manifest-cache HMAC key) seals the event's branch moves while parked."""
        if self.overloaded():
            return "overloaded"
        seen_key = self.delivery_key(delivery, body)
        if not self.claims.first(seen_key, self.dedupe_seconds):
            return "duplicate"
        digest = push_digest(event)
        pending_key = self.keys.webhook_fanout_pending(digest) if digest else None
        if pending_key:
            previous = self.client.set(pending_key, event.after, ex=COALESCE_SECONDS, get=True)
            if previous is not None and str(previous) == event.after:
                return "coalesced"
        event_id = uuid.uuid4().hex
        try:
            self.client.set(
                self.keys.webhook_event(event_id), orjson.dumps(event.to_json(seal_key)), ex=EVENT_TTL_SECONDS
            )
            self.enqueue_fanout(event_id)
        except Exception:
            self.claims.release(seen_key)
            if pending_key:
                self.claims.release(pending_key)
            raise
        return "queued"
