"""Redis coordination of the control plane: app locks with fencing, refresh coalescing, hot status,
per-app event streams and one-shot claims. Each Lua script sits beside the module that runs it.

Pure of Celery: workers and the scheduler both build on these classes.
"""

from __future__ import annotations

from gitops.coordination.claims import Claims
from gitops.coordination.coalesce import RefreshRequests
from gitops.coordination.connection import redis_client
from gitops.coordination.events import AppEvent, EventLog
from gitops.coordination.lock import AppLocks, Lease, LeaseKeeper
from gitops.coordination.stats import Stats
from gitops.coordination.status import HotStatus

__all__ = [
    "AppEvent",
    "AppLocks",
    "Claims",
    "EventLog",
    "HotStatus",
    "Lease",
    "LeaseKeeper",
    "RefreshRequests",
    "Stats",
    "redis_client",
]
