"""Per-app event stream: what happened, when, and who caused it (XADD, capped per app)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from gitops.keys import Keys


@dataclass(frozen=True)
class AppEvent:
    """One entry of an app's event stream."""

    id: str
    at: float
    kind: str
    message: str
    by: str


class EventLog:
    """Append to and read the capped event stream of each app."""

    def __init__(self, client: redis.Redis, keys: Keys, max_len: int = 1000) -> None:
        self.client = client
        self.keys = keys
        self.max_len = max_len

    def record(self, app: str, kind: str, message: str, by: str = "bosun") -> str:
        """Append an event (e.g. kind "refresh", "sync-started", "webhook"); returns its stream id."""
        fields: dict[Any, Any] = {"at": f"{time.time():.3f}", "kind": kind, "message": message, "by": by}
        entry = self.client.xadd(self.keys.app_events(app), fields, maxlen=self.max_len, approximate=True)
        return str(entry)

    def recent(self, app: str, count: int = 50) -> list[AppEvent]:
        """The newest `count` events, newest first."""
        rows: list[Any] = self.client.xrevrange(self.keys.app_events(app), count=count) or []
        return [
            AppEvent(
                id=str(entry_id),
                at=float(fields.get("at", 0)),
                kind=str(fields.get("kind", "")),
                message=str(fields.get("message", "")),
                by=str(fields.get("by", "")),
            )
            for entry_id, fields in rows
        ]
