"""Git credentials that follow the management namespace: repository / repo-creds Secrets, so a Secret
created, changed or deleted takes effect without restarting the workers.

`RefreshingCredentials(list_secrets, fallback, ttl=5.0, watched=None)`: `.for_url(repo_url)` and
`.problems` as `CredentialStore`; Secrets first, then `fallback` (the `git_credentials` setting).
- With `watched` (a worker: `Informer.current` of gitops.registry.informer), the store is rebuilt only
  when the watched Secrets changed, so a rotated credential counts within the watch's latency and
  steady state costs no LIST. While the informer is not synced (`watched()` is None), it falls back
  to the TTL path below.
- Without it (or in that fallback), `list_secrets()` is re-read at most every `ttl` seconds; when
  listing fails, the Secrets last read are kept (logged, without any Secret value).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from gitops.source.credentials import CredentialStore, RepoCredentials

if TYPE_CHECKING:
    from gitops.registry.informer import Snapshot

log = logging.getLogger(__name__)


class RefreshingCredentials:
    """A `CredentialStore` over Secrets: watched, or re-read when older than `ttl` seconds."""

    def __init__(
        self,
        list_secrets: Callable[[], Iterable[Mapping[str, Any]]],
        fallback: CredentialStore | None = None,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        watched: Callable[[], Snapshot | None] | None = None,
    ) -> None:
        self.list_secrets, self.fallback = list_secrets, fallback or CredentialStore()
        self.ttl, self.clock, self.watched = ttl, clock, watched
        self._held: tuple[float, CredentialStore] | None = None
        self._held_revision: int | None = None  # the watched revision `_held` was built from
        self._lock = threading.Lock()

    def store(self) -> CredentialStore:
        """The current store (see the module docstring)."""
        snapshot = self.watched() if self.watched is not None else None
        with self._lock:
            now = self.clock()
            if snapshot is not None and snapshot.revision is not None:
                if self._held is None or self._held_revision != snapshot.revision:
                    self._keep(now, CredentialStore.from_secrets(snapshot.items), snapshot.revision)
                assert self._held is not None
                return self._held[1]
            if self._held is not None and self._held_revision is None and now - self._held[0] < self.ttl:
                return self._held[1]
            try:
                secrets = CredentialStore.from_secrets(self.list_secrets())
            except Exception as exc:  # the API server may be briefly unavailable: keep what we had
                log.warning("repository Secrets could not be listed (%s); using the last ones read",
                            type(exc).__name__)  # fmt: skip
                if self._held is not None:
                    self._held, self._held_revision = (now, self._held[1]), None
                    return self._held[1]
                secrets = CredentialStore(problems=["repository Secrets could not be listed"])
            self._keep(now, secrets, None)
            assert self._held is not None
            return self._held[1]

    def _keep(self, now: float, secrets: CredentialStore, revision: int | None) -> None:
        store = secrets.merged(self.fallback)
        for problem in store.problems:
            if self._held is None or problem not in self._held[1].problems:
                log.warning("git credentials: %s", problem)
        self._held, self._held_revision = (now, store), revision

    @property
    def problems(self) -> list[str]:
        return self.store().problems

    def for_url(self, repo_url: str) -> RepoCredentials | None:
        return self.store().for_url(repo_url)
