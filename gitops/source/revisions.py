"""Revision resolution shared by every worker: one ls-remote per repository per TTL.

`RevisionResolver(cache, remote, ttl_seconds, metrics).resolve(repo_url, target, force=False,
creds=None)`: the whole ref list is cached per repo (`Keys.git_refs`), each resolution per (repo,
ref) (`Keys.revision`) for the rest of that list's lifetime, and a cold cache is filled by a single
caller (`Keys.git_refs_lock`) while the others wait. `force=True` (hard refresh) lists the refs
again and rewrites both; `refresh(repo_url, targets)` does that for many targets with one ls-remote.
`advance(repo_url, updates, targets)` applies a verified push webhook's branch moves to the cached
list instead (compare-and-set on the old commit), so the refreshes it triggers need no ls-remote.
`ttl_seconds == 0` disables caching. A failed ls-remote is remembered for `error_ttl_seconds`
(10 s): every caller gets the same (redacted) error instead of hammering a failing git server; a
forced refresh retries at once. With `hmac_key` (the manifest-cache key) entries are HMAC-SHA256
authenticated and bound to their key: a Redis writer cannot point an app at another commit.
With `expand_commit` (`Mirrors.expand`), an abbreviated SHA no ref points at is expanded by
fetching, so callers always get a full SHA. The pure reading of a ref list (`resolve_from_refs`,
`Resolved`, `LsRemotePort`, `is_full_sha`, `short_name`) lives in `ref_resolution`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from gitops.cache import ByteCache
from gitops.errors import GitAuthError, GitError
from gitops.keys import Keys
from gitops.source.credentials import RepoCredentials
from gitops.source.git_metrics import GitMetrics
from gitops.source.ref_resolution import (
    PEELED_SUFFIX,
    SYMREF_PREFIX,
    LsRemotePort,
    Resolved,
    apply_branch_moves,
    is_full_sha,
    resolve_from_refs,
    short_name,
)
from gitops.source.repo_url import redact, repo_digest
from gitops.source.sealing import seal, unseal

__all__ = [
    "PEELED_SUFFIX",
    "SYMREF_PREFIX",
    "LsRemotePort",
    "Resolved",
    "RevisionResolver",
    "is_full_sha",
    "resolve_from_refs",
    "short_name",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _RefList:
    fetched_at: float
    refs: dict[str, str]


class RevisionResolver:
    """Resolves `targetRevision`s with one ls-remote per repository per TTL, shared through `cache`."""

    def __init__(
        self,
        cache: ByteCache,
        remote: LsRemotePort,
        ttl_seconds: float,
        metrics: GitMetrics | None = None,
        *,
        keys: Keys | None = None,
        clock: Callable[[], float] = time.time,
        lock_seconds: float = 60.0,
        poll_seconds: float = 0.02,
        hmac_key: bytes = b"",
        error_ttl_seconds: float = 10.0,
        expand_commit: Callable[[str, str, RepoCredentials | None], str] | None = None,
    ) -> None:
        self._expand_commit = expand_commit
        self._error_ttl = error_ttl_seconds
        self._cache = cache
        self._hmac_key = hmac_key
        self._remote = remote
        self._ttl = float(ttl_seconds)
        self.metrics = metrics or GitMetrics()
        self._keys = keys or Keys()
        self._clock = clock
        self._lock_seconds = lock_seconds
        self._poll_seconds = poll_seconds
        self._local_locks: dict[str, threading.Lock] = {}
        self._local_locks_guard = threading.Lock()

    def resolve(
        self,
        repo_url: str,
        target_revision: str,
        *,
        force: bool = False,
        creds: RepoCredentials | None = None,
    ) -> Resolved:
        """The commit `target_revision` of `repo_url` means now (cached up to `ttl_seconds`)."""
        target = target_revision.strip() or "HEAD"
        if is_full_sha(target):
            return Resolved(target.lower(), "", "commit")
        digest = repo_digest(repo_url)
        if force:
            return self.refresh(repo_url, [target], creds=creds)[target]
        if self._ttl > 0:
            key = self._keys.revision(digest, target)
            cached = self._open(key, self._cache.get(key))
            if cached is not None:
                self.metrics.inc("revision_cache_total", result="hit")
                return Resolved.from_bytes(cached)
        self.metrics.inc("revision_cache_total", result="miss")
        ref_list = self._ref_list(repo_url, digest, creds)
        resolved = self._complete(repo_url, resolve_from_refs(ref_list.refs, target, repo_url), creds)
        self._remember(digest, target, resolved, ref_list.fetched_at)
        return resolved

    def _complete(self, repo_url: str, resolved: Resolved, creds: RepoCredentials | None) -> Resolved:
        """An abbreviated commit expanded to its full SHA (through the mirror), when an expander is set."""
        if resolved.kind != "commit-prefix" or self._expand_commit is None:
            return resolved
        return Resolved(self._expand_commit(repo_url, resolved.sha, creds), "", "commit")

    def refresh(
        self, repo_url: str, targets: Iterable[str], *, creds: RepoCredentials | None = None
    ) -> dict[str, Resolved]:
        """Lists the refs again (one ls-remote) and re-resolves every target, bypassing the cache."""
        digest = repo_digest(repo_url)
        ref_list = self._list_and_store(repo_url, digest, creds)
        out: dict[str, Resolved] = {}
        for raw in targets:
            target = raw.strip() or "HEAD"
            out[raw] = self._complete(repo_url, resolve_from_refs(ref_list.refs, target, repo_url), creds)
            self._remember(digest, target, out[raw], ref_list.fetched_at)
        return out

    def advance(
        self, repo_url: str, updates: Iterable[tuple[str, str, str]], targets: Iterable[str] = ()
    ) -> bool:
        """Apply a verified push's branch moves `(ref, before, after)` to the cached, unexpired ref
        list (only `refs/heads/*` at exactly `before`: a late or replayed delivery never moves a
        branch back), then re-resolve `targets`, `HEAD` and each branch's names from it (it keeps
        its expiry). Otherwise those resolutions and the list are forgotten (the next resolve
        lists the refs). Under the list's fill lock; True when applied."""
        digest = repo_digest(repo_url)
        updates, names = list(updates), {t.strip() or "HEAD" for t in targets}
        for ref, _before, _after in updates:
            names |= {ref, short_name(ref), "HEAD"}
        lock_key = self._keys.git_refs_lock(digest)
        token = uuid.uuid4().hex.encode()
        deadline = time.monotonic() + min(self._lock_seconds, 2.0)
        while not (locked := self._cache.add(lock_key, token, self._lock_seconds)):
            if time.monotonic() > deadline:
                break  # a slow ls-remote holds it: forget without the lock, as before
            time.sleep(self._poll_seconds)
        try:
            ref_list = self._advanced(digest, updates) if locked else None
            if ref_list is None:
                self._cache.delete(self._keys.git_refs(digest))
                for name in names:
                    self._cache.delete(self._keys.revision(digest, name))
                return False
            key = self._keys.git_refs(digest)
            remaining = self._ttl - (self._clock() - ref_list.fetched_at)
            payload = orjson.dumps({"fetched_at": ref_list.fetched_at, "refs": ref_list.refs})
            self._cache.set(key, self._seal(key, payload), min(self._ttl, remaining))
            for name in names:
                try:
                    resolved = resolve_from_refs(ref_list.refs, name, repo_url)
                except GitError:
                    resolved = Resolved("", "", "commit-prefix")
                if resolved.kind == "commit-prefix":  # unknown or to expand: resolved when asked
                    self._cache.delete(self._keys.revision(digest, name))
                else:
                    self._remember(digest, name, resolved, ref_list.fetched_at)
            self.metrics.inc("revision_cache_total", result="advanced")
            return True
        finally:
            if locked and self._cache.get(lock_key) == token:
                self._cache.delete(lock_key)

    def _advanced(self, digest: str, updates: list[tuple[str, str, str]]) -> _RefList | None:
        """The cached, unexpired ref list with `updates` applied, or None."""
        try:
            cached = self._cached_list(digest) if updates else None
        except GitError:
            return None
        if cached is None or self._clock() - cached.fetched_at >= self._ttl:
            return None
        refs = apply_branch_moves(cached.refs, updates)
        return None if refs is None else _RefList(cached.fetched_at, refs)

    def _remember(self, digest: str, target: str, resolved: Resolved, fetched_at: float) -> None:
        remaining = min(
            self._ttl, self._ttl - (self._clock() - fetched_at)
        )  # another host's clock may run ahead
        if self._ttl > 0 and remaining > 0:
            key = self._keys.revision(digest, target)
            self._cache.set(key, self._seal(key, resolved.to_bytes()), remaining)

    def _seal(self, key: str, payload: bytes) -> bytes:
        return seal(self._hmac_key, key, payload)

    def _open(self, key: str, data: bytes | None) -> bytes | None:
        """The payload of a cache entry, or None when absent or (with an HMAC key) not authentic."""
        payload = None if data is None else unseal(self._hmac_key, key, data)
        if data is not None and payload is None:
            self.metrics.inc("revision_cache_total", result="rejected")
            log.warning("ignored a revision cache entry with a bad HMAC (%s): written by another party?", key)
        return payload

    def _local_lock(self, digest: str) -> threading.Lock:
        with self._local_locks_guard:
            return self._local_locks.setdefault(digest, threading.Lock())

    def _cached_list(self, digest: str) -> _RefList | None:
        if self._ttl <= 0:
            return None
        key = self._keys.git_refs(digest)
        data = self._open(key, self._cache.get(key))
        if data is None:
            return None
        raw = orjson.loads(data)
        if "error" in raw:  # the last ls-remote failed moments ago: do not hammer the server
            self.metrics.inc("revision_cache_total", result="error")
            error_class = GitAuthError if raw.get("auth") else GitError
            raise error_class(str(raw["error"]), target=raw.get("target"), hint=raw.get("hint"))
        return _RefList(float(raw["fetched_at"]), {str(k): str(v) for k, v in raw["refs"].items()})

    def _ref_list(self, repo_url: str, digest: str, creds: RepoCredentials | None) -> _RefList:
        cached = self._cached_list(digest)
        if cached is not None:
            return cached
        with self._local_lock(digest):  # threads of this process: one ls-remote
            cached = self._cached_list(digest)
            if cached is not None:
                self.metrics.inc("revision_cache_total", result="shared")
                return cached
            if self._ttl <= 0:
                return self._list_and_store(repo_url, digest, creds)
            lock_key = self._keys.git_refs_lock(digest)
            token = uuid.uuid4().hex.encode()
            if not self._cache.add(lock_key, token, self._lock_seconds):
                waited = self._wait_for_other(digest)
                if waited is not None:
                    self.metrics.inc("revision_cache_total", result="shared")
                    return waited
            try:
                return self._list_and_store(repo_url, digest, creds)
            finally:
                if self._cache.get(lock_key) == token:
                    self._cache.delete(lock_key)

    def _wait_for_other(self, digest: str) -> _RefList | None:
        """Another process is listing this repo: wait for its result while its lock lasts."""
        deadline = time.monotonic() + self._lock_seconds
        lock_key = self._keys.git_refs_lock(digest)
        while time.monotonic() < deadline:
            cached = self._cached_list(digest)
            if cached is not None:
                return cached
            if self._cache.get(lock_key) is None:  # it failed or gave up: try ourselves
                return self._cached_list(digest)
            time.sleep(self._poll_seconds)
        return None

    def _list_and_store(self, repo_url: str, digest: str, creds: RepoCredentials | None) -> _RefList:
        fetched_at = self._clock()
        self.metrics.inc("git_requests_total", type="ls-remote")
        log.info("listing refs of %s", redact(repo_url))
        started = time.monotonic()
        try:
            refs = self._remote.ls_remote(repo_url, creds)
        except GitError as exc:
            self.metrics.inc("git_request_failures_total", type="ls-remote")
            if self._ttl > 0 and self._error_ttl > 0:
                key = self._keys.git_refs(digest)
                failure = {
                    "error": exc.message,
                    "target": exc.target,
                    "hint": exc.hint,
                    "auth": isinstance(exc, GitAuthError),
                }
                self._cache.set(key, self._seal(key, orjson.dumps(failure)), min(self._ttl, self._error_ttl))
            raise
        except Exception:
            self.metrics.inc("git_request_failures_total", type="ls-remote")
            raise
        finally:
            self.metrics.inc("git_request_seconds_total", time.monotonic() - started, type="ls-remote")
        ref_list = _RefList(fetched_at, refs)
        if self._ttl > 0:
            key = self._keys.git_refs(digest)
            payload = orjson.dumps({"fetched_at": fetched_at, "refs": refs})
            self._cache.set(key, self._seal(key, payload), self._ttl)
        return ref_list
