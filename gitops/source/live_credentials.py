"""Git credentials that follow the management namespace: repository / repo-creds Secrets re-listed
at most every `ttl` seconds (like the fleet inputs of gitops.projects.review), so a Secret created,
changed or deleted takes effect without restarting the workers.

`RefreshingCredentials(list_secrets, fallback, ttl=5.0)`: `.for_url(repo_url)` and `.problems` as
`CredentialStore`; Secrets first, then `fallback` (the `git_credentials` setting). When listing
fails, the Secrets last read are kept (logged, without any Secret value)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gitops.source.credentials import CredentialStore, RepoCredentials

log = logging.getLogger(__name__)


class RefreshingCredentials:
    """A `CredentialStore` over Secrets re-read when older than `ttl` seconds."""

    def __init__(
        self,
        list_secrets: Callable[[], Iterable[Mapping[str, Any]]],
        fallback: CredentialStore | None = None,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.list_secrets, self.fallback = list_secrets, fallback or CredentialStore()
        self.ttl, self.clock = ttl, clock
        self._held: tuple[float, CredentialStore] | None = None
        self._lock = threading.Lock()

    def store(self) -> CredentialStore:
        """The current store, re-reading the Secrets when the one held is older than `ttl`."""
        with self._lock:
            now = self.clock()
            if self._held is not None and now - self._held[0] < self.ttl:
                return self._held[1]
            try:
                secrets = CredentialStore.from_secrets(self.list_secrets())
            except Exception as exc:  # the API server may be briefly unavailable: keep what we had
                log.warning("repository Secrets could not be listed (%s); using the last ones read",
                            type(exc).__name__)  # fmt: skip
                if self._held is not None:
                    self._held = (now, self._held[1])
                    return self._held[1]
                secrets = CredentialStore(problems=["repository Secrets could not be listed"])
            store = secrets.merged(self.fallback)
            for problem in store.problems:
                if self._held is None or problem not in self._held[1].problems:
                    log.warning("git credentials: %s", problem)
            self._held = (now, store)
            return store

    @property
    def problems(self) -> list[str]:
        return self.store().problems

    def for_url(self, repo_url: str) -> RepoCredentials | None:
        return self.store().for_url(repo_url)
