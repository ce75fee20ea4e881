"""Where an accepted webhook delivery goes: dedupe in Redis, park the event, enqueue the fan-out.

A delivery id (or, when the provider sends none, the body's digest) is claimed with SET NX for
`dedupe_seconds`: a replay is answered 200 "duplicate" and enqueues nothing. The claim is taken
only after verification, so forged requests cannot burn real ids, and it is undone if enqueueing
fails, so the provider's retry is handled.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import orjson
import redis

from gitops.coordination import Claims
from gitops.keys import Keys
from gitops.triggers.event import PushEvent
from scheduler.webhooks.providers import Delivery

EVENT_TTL_SECONDS = 3600


class WebhookSink:
    """Accepts verified push events: returns "queued" or "duplicate"."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        enqueue_fanout: Callable[[str], None],
        dedupe_seconds: int = 86400,
    ) -> None:
        self.client = client
        self.keys = keys
        self.claims = Claims(client)
        self.enqueue_fanout = enqueue_fanout
        self.dedupe_seconds = dedupe_seconds

    def delivery_key(self, delivery: Delivery, body: bytes) -> str:
        identity = delivery.delivery_id or "body:" + hashlib.sha256(body).hexdigest()
        return self.keys.webhook_delivery(
            delivery.provider, hashlib.sha256(identity.encode()).hexdigest()[:32]
        )

    def accept(self, delivery: Delivery, event: PushEvent, body: bytes) -> str:
        seen_key = self.delivery_key(delivery, body)
        if not self.claims.first(seen_key, self.dedupe_seconds):
            return "duplicate"
        event_id = uuid.uuid4().hex
        try:
            self.client.set(
                self.keys.webhook_event(event_id), orjson.dumps(event.to_json()), ex=EVENT_TTL_SECONDS
            )
            self.enqueue_fanout(event_id)
        except Exception:
            self.claims.release(seen_key)
            raise
        return "queued"
