"""Per-process resources of a worker (or of the API server when it enqueues): settings, Redis,
coordination objects, the registry, the watch-fed cache of AppProjects and cluster / repository
Secrets (`management`: its informer threads start on first read, i.e. in a prefork child after the
fork) and the reconciler. Built lazily after fork, never shared."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import redis

from gitops.clusters.store import ClusterSecretStore
from gitops.coordination import AppLocks, Claims, EventLog, HotStatus, RefreshRequests, Stats, redis_client
from gitops.keys import Keys
from gitops.projects.review import FleetInputsCache
from gitops.registry import ApplicationRegistry, management_api_client
from gitops.registry.watched import ManagementCache
from gitops.settings import Settings, get_settings
from workers.ports import Reconciler

ReconcilerFactory = Callable[["WorkerContext"], Reconciler]
_reconciler_factory: ReconcilerFactory | None = None


def set_reconciler_factory(factory: ReconcilerFactory) -> None:
    """Choose how workers build their Reconciler (the engine wiring, or a probe in tests)."""
    global _reconciler_factory
    _reconciler_factory = factory


@dataclass
class WorkerContext:
    settings: Settings
    keys: Keys = field(init=False)
    redis: redis.Redis = field(init=False)

    def __post_init__(self) -> None:
        self.keys = Keys(self.settings.redis_prefix)
        self.redis = redis_client(self.settings)

    @cached_property
    def locks(self) -> AppLocks:
        return AppLocks(self.redis, self.keys, self.settings.lock_ttl_seconds)

    @cached_property
    def hot(self) -> HotStatus:
        return HotStatus(self.redis, self.keys)

    @cached_property
    def refreshes(self) -> RefreshRequests:
        return RefreshRequests(self.redis, self.keys, self.settings.refresh_pending_ttl_seconds)

    @cached_property
    def sync_steps(self) -> RefreshRequests:
        return RefreshRequests(
            self.redis, self.keys, self.settings.sync_timeout_seconds + 60, key=self.keys.sync_pending
        )

    @cached_property
    def events(self) -> EventLog:
        return EventLog(self.redis, self.keys, self.settings.events_max_len)

    @cached_property
    def stats(self) -> Stats:
        return Stats(self.redis, self.keys)

    @cached_property
    def claims(self) -> Claims:
        return Claims(self.redis)

    @cached_property
    def registry(self) -> ApplicationRegistry:
        return ApplicationRegistry(management_api_client(self.settings), self.settings.namespace)

    @cached_property
    def management(self) -> ManagementCache:
        """AppProjects, cluster Secrets and repository Secrets, watched (one ApiClient of its own)."""
        return ManagementCache(management_api_client(self.settings), self.settings.namespace)

    @cached_property
    def fleet(self) -> FleetInputsCache:
        """AppProjects, Applications and cluster Secrets for the fleet checks (gitops.projects.review);
        AppProjects and cluster Secrets from `management`."""
        secrets = ClusterSecretStore(self.registry.api.api_client, self.settings.namespace)
        return FleetInputsCache(self.registry, secrets.list, watched=self.management)

    @cached_property
    def reconciler(self) -> Reconciler:
        if _reconciler_factory is None:
            from workers.engine import build_reconciler

            return build_reconciler(self)
        return _reconciler_factory(self)


_context: WorkerContext | None = None
_guard = threading.Lock()


def context() -> WorkerContext:
    """This process's context, built on first use from the environment's settings."""
    global _context
    with _guard:
        if _context is None:
            _context = WorkerContext(get_settings())
        return _context
