"""One lock per application, with a token, a short TTL renewed while working, and a fencing number.

`AppLocks.acquire` returns a `Lease` whose `fence` is strictly greater than every fence handed out
before for that app (INCR in the same Lua script as the SET NX). Every status write checks the fence
(see status_write.lua and gitops.registry), so a worker that stalled past its TTL and lost the lock
cannot overwrite the result of the worker that took over.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from types import TracebackType

import redis

from gitops.coordination.scripts import load_script
from gitops.errors import LockLostError
from gitops.keys import Keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    """Proof of holding an app's lock: the random token and the fencing number handed out with it."""

    app: str
    token: str
    fence: int


class AppLocks:
    """Acquire, renew and release per-app locks in Redis."""

    def __init__(self, client: redis.Redis, keys: Keys, ttl_seconds: float = 30.0) -> None:
        self.client = client
        self.keys = keys
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._acquire = load_script(client, "lock_acquire")
        self._renew = load_script(client, "lock_renew")
        self._release = load_script(client, "lock_release")

    def acquire(self, app: str, fence_floor: int = 0) -> Lease | None:
        """Take the app's lock, or None if another worker holds it.

        `fence_floor` is the highest fence recorded in durable status: after Redis lost its data the
        counter restarts above it, so fencing stays monotonic across a flush.
        """
        token = secrets.token_hex(16)
        keys = [self.keys.app_lock(app), self.keys.app_fence(app)]
        fence, _ttl = self._acquire(keys=keys, args=[token, self.ttl_ms, int(fence_floor)])
        if int(fence) == 0:
            return None
        return Lease(app=app, token=token, fence=int(fence))

    def renew(self, lease: Lease) -> bool:
        """Extend the lease's TTL; False when the lock expired or was taken over."""
        return bool(self._renew(keys=[self.keys.app_lock(lease.app)], args=[lease.token, self.ttl_ms]))

    def release(self, lease: Lease) -> bool:
        """Drop the lock if it is still this lease's; never deletes another holder's lock."""
        return bool(self._release(keys=[self.keys.app_lock(lease.app)], args=[lease.token]))

    def current_fence(self, app: str) -> int:
        """The newest fence handed out for the app (0 if none)."""
        return int(self.client.get(self.keys.app_fence(app)) or 0)

    def holder_ttl_ms(self, app: str) -> int:
        """Remaining lifetime of the app's lock in ms (negative when nobody holds it)."""
        return int(self.client.pttl(self.keys.app_lock(app)))

    def keep(self, lease: Lease) -> LeaseKeeper:
        """A context manager renewing the lease in the background and releasing it at the end."""
        return LeaseKeeper(self, lease)


class LeaseKeeper:
    """Renews a lease every third of its TTL on a daemon thread while the `with` body runs.

    When a renewal fails, `lost` becomes True; `check()` raises LockLostError. Writes are fenced
    anyway; checking early only saves wasted work.
    """

    def __init__(self, locks: AppLocks, lease: Lease) -> None:
        self.locks = locks
        self.lease = lease
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{lease.app}", daemon=True)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise LockLostError if the lease could not be renewed."""
        if self.lost:
            raise LockLostError(
                "lock lost while working; a newer worker owns this app",
                app=self.lease.app,
                hint="nothing to do: the newer worker's result wins",
            )

    def _run(self) -> None:
        interval = self.locks.ttl_ms / 3000.0
        while not self._stop.wait(interval):
            try:
                renewed = self.locks.renew(self.lease)
            except redis.RedisError as exc:
                log.warning("app %s: lock renewal failed: %s", self.lease.app, type(exc).__name__)
                renewed = False
            if not renewed:
                self._lost.set()
                return

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self.locks.release(self.lease)
        except redis.RedisError as err:
            log.warning(
                "app %s: lock release failed (it expires by itself): %s", self.lease.app, type(err).__name__
            )
