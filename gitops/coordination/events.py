"""Per-app event log: what happened, when, and who caused it, newest first, capped per app.

Stored as a Redis list per app (one `LPUSH` per event; entries are compact JSON arrays): a list
costs only its entries, where a stream preallocates about 4 KB per key. It is trimmed back to
`max_len` entries once it holds a tenth more (one `LTRIM` every max_len/10 events, not one per
event), and messages are cut to `MAX_MESSAGE_CHARS`, so an app's log is bounded in bytes. A key still holding
the stream older versions wrote is read as such and converted at the next write.

Refreshes are recorded by `record_refresh` only when they change what a user sees (sync or health
status, revision, error conditions) or were asked for hard: a fleet refreshed every few minutes would
otherwise fill each log with identical "refreshed" entries.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from gitops.keys import Keys

MAX_MESSAGE_CHARS = 512
REFRESHED = "refreshed"


@dataclass(frozen=True)
class AppEvent:
    """One entry of an app's event log."""

    id: str
    at: float
    kind: str
    message: str
    by: str


def refresh_view(status: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What of a status a refresh event reports: sync status and revision, health, condition types."""
    status = status or {}
    sync = status.get("sync") or {}
    health = status.get("health") or {}
    conditions = sorted(str(c.get("type")) for c in status.get("conditions") or [] if isinstance(c, Mapping))
    return sync.get("status"), sync.get("revision"), sync.get("revisions"), health.get("status"), conditions


def _stream_row(entry_id: Any, fields: Mapping[Any, Any]) -> AppEvent:
    return AppEvent(id=str(entry_id), at=float(fields.get("at", 0)), kind=str(fields.get("kind", "")),
                    message=str(fields.get("message", "")), by=str(fields.get("by", "")))  # fmt: skip


def _decode(raw: str | bytes) -> AppEvent | None:
    try:
        event_id, at, kind, message, by = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    return AppEvent(id=str(event_id), at=float(at), kind=str(kind), message=str(message), by=str(by))


class EventLog:
    """Append to and read the capped event log of each app."""

    def __init__(self, client: redis.Redis, keys: Keys, max_len: int = 1000) -> None:
        self.client = client
        self.keys = keys
        self.max_len = max(1, int(max_len))
        self.slack = self.max_len // 10  # trimmed back to max_len once this many more accumulated

    def record(self, app: str, kind: str, message: str, by: str = "bosun") -> str:
        """Append an event (e.g. kind "refreshed", "sync-started", "webhook"); returns its id."""
        now = time.time()
        event_id = f"{int(now * 1000)}-{secrets.token_hex(2)}"
        entry = orjson.dumps([event_id, round(now, 3), kind, message[:MAX_MESSAGE_CHARS], by[:200]])
        key = self.keys.app_events(app)
        try:
            if int(self.client.lpush(key, entry)) > self.max_len + self.slack:
                self.client.ltrim(key, 0, self.max_len - 1)
        except redis.ResponseError as err:
            if "WRONGTYPE" not in str(err):
                raise
            self._replace(key, [*self._legacy_entries(key), entry])
        return event_id

    def record_refresh(
        self,
        app: str,
        previous: Mapping[str, Any] | None,
        current: Mapping[str, Any] | None,
        message: str,
        by: str = "bosun",
        hard: bool = False,
    ) -> str | None:
        """Record a "refreshed" event when the refresh changed the app's sync or health status, its
        revision or its error conditions (the first refresh always does), or was a hard refresh;
        returns the event id, or None when nothing worth a line changed."""
        if not hard and refresh_view(previous) == refresh_view(current):
            return None
        return self.record(app, REFRESHED, message, by=by)

    def record_unless_latest(self, app: str, kind: str, message: str, by: str = "bosun") -> str | None:
        """Record the event unless the app's newest one has the same kind and message (a condition
        that holds refresh after refresh, such as an automated sync blocked by a closed window, is
        one line, not one per refresh); returns the event id, or None when it was a repeat."""
        latest = self.recent(app, count=1)
        if latest and latest[0].kind == kind and latest[0].message == message[:MAX_MESSAGE_CHARS]:
            return None
        return self.record(app, kind, message, by=by)

    def recent(self, app: str, count: int = 50) -> list[AppEvent]:
        """The newest `count` events, newest first."""
        key = self.keys.app_events(app)
        try:
            rows: list[Any] = self.client.lrange(key, 0, max(1, count) - 1) or []
        except redis.ResponseError as err:
            if "WRONGTYPE" not in str(err):
                raise
            legacy: list[Any] = self.client.xrevrange(key, count=count) or []
            return [_stream_row(entry_id, fields) for entry_id, fields in legacy]
        return [event for event in map(_decode, rows) if event is not None]

    def _replace(self, key: str, entries: list[bytes]) -> None:
        """Turn a legacy stream key into the list, oldest entry first in, newest at the head."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.lpush(key, *entries)
        pipe.ltrim(key, 0, self.max_len - 1)
        pipe.execute()

    def _legacy_entries(self, key: str) -> list[bytes]:
        """The entries of a stream written by an older version, oldest first, in the list format."""
        rows: list[Any] = self.client.xrevrange(key, count=self.max_len) or []
        out = []
        for entry_id, fields in reversed(rows):
            event = _stream_row(entry_id, fields)
            out.append(orjson.dumps([event.id, event.at, event.kind, event.message, event.by]))
        return out
