"""Hot status: the latest status document of each app in Redis, for fast reads by the API and CLI.

Writes go through status_write.lua, which refuses a writer whose fence is no longer the newest.
The durable copy is the Application's `status` subresource (gitops.registry); after Redis loses its
data, `prime` refills the hot copy from there without touching fences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import redis

from gitops.coordination.lock import Lease
from gitops.coordination.scripts import load_script
from gitops.errors import LockLostError
from gitops.keys import Keys


class HotStatus:
    """Fenced writes and plain reads of per-app status documents."""

    def __init__(self, client: redis.Redis, keys: Keys, changes_max_len: int = 10000) -> None:
        self.client = client
        self.keys = keys
        self.changes_max_len = changes_max_len
        self._write = load_script(client, "status_write")

    def write(self, lease: Lease, status: Mapping[str, Any]) -> None:
        """Store `status` for the lease's app; LockLostError if a newer fence was handed out since."""
        keys = [self.keys.app_fence(lease.app), self.keys.app_status(lease.app), self.keys.app_changes()]
        args: list[str | int] = [
            lease.fence,
            orjson.dumps(dict(status)).decode(),
            lease.app,
            self.changes_max_len,
        ]
        if not int(self._write(keys=keys, args=args)):
            raise LockLostError(
                f"status write with fence {lease.fence} rejected: a newer worker owns this app",
                app=lease.app,
                hint="nothing to do: the newer worker's result wins",
            )

    def read(self, app: str) -> dict[str, Any] | None:
        """The app's latest status document, or None when Redis has none (read the resource then)."""
        doc = self.client.hget(self.keys.app_status(app), "doc")
        if doc is None:
            return None
        value = orjson.loads(doc)
        return value if isinstance(value, dict) else None

    def read_many(self, apps: list[str], batch: int = 1000) -> dict[str, dict[str, Any]]:
        """Status documents of many apps, one pipelined round trip per `batch` apps (apps without one
        are left out)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(apps), batch):
            chunk = apps[start : start + batch]
            pipe = self.client.pipeline(transaction=False)
            for app in chunk:
                pipe.hget(self.keys.app_status(app), "doc")
            for app, doc in zip(chunk, pipe.execute(), strict=True):
                value = orjson.loads(doc) if doc is not None else None
                if isinstance(value, dict):
                    out[app] = value
        return out

    def fence(self, app: str) -> int:
        """The fence of the last accepted write (0 if none)."""
        return int(self.client.hget(self.keys.app_status(app), "fence") or 0)

    def prime(self, app: str, status: Mapping[str, Any], fence: int = 0) -> bool:
        """Fill the hot copy from durable status if Redis has none; never overwrites a fenced write."""
        key = self.keys.app_status(app)
        if not self.client.hsetnx(key, "doc", orjson.dumps(dict(status)).decode()):
            return False
        self.client.hsetnx(key, "fence", fence)
        return True

    def forget(self, app: str) -> None:
        """Drop the hot copy of a deleted app."""
        self.client.delete(self.keys.app_status(app))
