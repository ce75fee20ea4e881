"""Local bare mirrors of remote repositories and read-only snapshots of their commits.

Layout under `cache_dir` (one per host; every worker process of the host shares it):
    mirrors/<repo_digest>.git      one bare mirror per repository URL (`repo_url.repo_digest`)
    snapshots/<repo_digest>/<sha>/ the tree of one commit, read-only, shared by every render of it
    snapshots/<repo_digest>/<sha>.meta  size and last use (mtime) of that snapshot
    locks/<repo_digest>.lock       fcntl lock of a mirror: exclusive to fetch or evict, shared to read
    locks/lease-XX.lock            shared while a snapshot is in use (`leased`), 256 stripes by SHA
    locks/write-XX.lock            held while a snapshot is written, 256 stripes by SHA

`Mirrors(cache_dir, max_bytes, max_age_seconds, runner=None, metrics=None)`:
- `.snapshot(repo_url, commit_sha, creds=None) -> Path`: fetches only when the commit is missing
  (first the commit alone, then all branches and tags), serialised per repository across processes
  by the mirror lock (different repositories fetch in parallel), then materialises the tree once
  (`git read-tree -u` into a temporary directory renamed into place, so no process ever sees half a
  snapshot). Symlinks stay symlinks; their targets are not checked here (the renderer does that).
  `commit_sha` may be abbreviated (Argo CD allows 7+ hex digits); the snapshot is named by the full SHA.
- `.leased(repo_url, commit_sha, creds=None)`: the same as a context manager; eviction skips the
  snapshot while the block runs. Renders should use this.
- `.tree_index(repo_url, sha) -> TreeIndex`: object ids of the commit's paths (content-keyed renders).
- `.evict() -> EvictionReport`: removes snapshots and mirrors unused for `max_age_seconds`, then the
  least recently used until the total is under `max_bytes`; never a leased snapshot or a mirror being
  fetched or read. It also runs by itself before a new snapshot is made, at most once every
  `auto_evict_seconds` (default 600; None turns that off) per cache directory.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from gitops.errors import GitAuthError, GitError, RevisionNotFoundError
from gitops.source.cache_files import flock, make_read_only, remove_tree, tree_size
from gitops.source.credentials import RepoCredentials, with_url_credentials
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRunner
from gitops.source.mirror_eviction import EvictionReport, evict_cache
from gitops.source.repo_url import redact, repo_digest, validate
from gitops.source.tree_index import TreeIndex, TreeIndexCache

log = logging.getLogger(__name__)
_HEX = re.compile(r"^[0-9a-fA-F]{7,40}$")
FETCHED_REF = "refs/bosun/fetched"  # the last commit fetched alone: a negotiation tip for the next


class Mirrors:
    """Bare mirrors and commit snapshots of one host (see the module docstring)."""

    def __init__(
        self,
        cache_dir: Path,
        max_bytes: int,
        max_age_seconds: float,
        runner: GitRunner | None = None,
        metrics: GitMetrics | None = None,
        clock: Callable[[], float] = time.time,
        auto_evict_seconds: float | None = 600.0,
    ) -> None:
        self.auto_evict_seconds = auto_evict_seconds
        self.cache_dir = Path(cache_dir)
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self.runner = runner or GitRunner()
        self.metrics = metrics or GitMetrics()
        self._clock = clock
        self._trees = TreeIndexCache()
        for sub in ("mirrors", "snapshots", "locks"):
            (self.cache_dir / sub).mkdir(parents=True, exist_ok=True)

    # --- paths ---
    def mirror_path(self, repo_url: str) -> Path:
        return self.cache_dir / "mirrors" / f"{repo_digest(repo_url)}.git"

    def lock_path(self, repo_url: str) -> Path:
        return self.cache_dir / "locks" / f"{repo_digest(repo_url)}.lock"

    def snapshot_path(self, repo_url: str, commit_sha: str) -> Path:
        return self.cache_dir / "snapshots" / repo_digest(repo_url) / commit_sha.lower()

    def _lease_lock(self, sha: str) -> Path:
        return self.cache_dir / "locks" / f"lease-{sha[:2].lower()}.lock"

    # --- public API ---
    def snapshot(self, repo_url: str, commit_sha: str, creds: RepoCredentials | None = None) -> Path:
        """The read-only tree of `commit_sha` (fetched and materialised if needed)."""
        sha = self._check_sha(repo_url, commit_sha)
        if len(sha) == 40:
            final = self.snapshot_path(repo_url, sha)
            if final.is_dir():
                self._touch(final)
                self.metrics.inc("snapshots_total", result="reused")
                return final
        self._maybe_evict()
        lock = self.lock_path(repo_url)
        for _attempt in range(3):
            with flock(lock, fcntl.LOCK_SH):
                full = self._present(repo_url, sha)
                if full:
                    return self._materialise(repo_url, full)
            with flock(lock, fcntl.LOCK_EX):
                self._fetch_if_missing(repo_url, sha, creds)
        raise GitError(  # only if the mirror is evicted again and again under our feet
            f"commit {sha} kept disappearing from the local mirror",
            target=f"repository {redact(repo_url)}",
            hint="raise BOSUN_GIT_CACHE_MAX_BYTES; the cache is too small for the working set",
        )

    def _maybe_evict(self) -> None:
        """Runs `evict()` before creating a snapshot, at most once per `auto_evict_seconds` per host."""
        if self.auto_evict_seconds is None:
            return
        marker = self.cache_dir / "last-eviction"
        try:
            if time.time() - marker.stat().st_mtime < self.auto_evict_seconds:
                return
        except FileNotFoundError:
            pass
        marker.touch()  # first, so that concurrent callers skip
        try:
            self.evict()
        except OSError as exc:
            log.warning("git cache eviction in %s failed: %s", self.cache_dir, exc)

    @contextmanager
    def leased(self, repo_url: str, commit_sha: str, creds: RepoCredentials | None = None) -> Iterator[Path]:
        """`snapshot()` kept safe from eviction while the block runs."""
        sha = self._check_sha(repo_url, commit_sha)
        with flock(self._lease_lock(sha), fcntl.LOCK_SH):
            yield self.snapshot(repo_url, sha, creds)

    def expand(self, repo_url: str, commit_sha: str, creds: RepoCredentials | None = None) -> str:
        """The full SHA of a (possibly abbreviated) commit, fetching it if needed."""
        return self.snapshot(repo_url, commit_sha, creds).name

    def tree_index(self, repo_url: str, commit_sha: str) -> TreeIndex:
        """Object ids of every path of a full-SHA commit already in the mirror (after `snapshot`);
        one `git ls-tree` per commit per process (`tree_index.TreeIndexCache`)."""
        sha = self._check_sha(repo_url, commit_sha)

        def load() -> str:
            with flock(self.lock_path(repo_url), fcntl.LOCK_SH):
                return self._git_local(repo_url, ["ls-tree", "-r", "-t", "-z", "--full-tree", sha])

        return self._trees.get(repo_digest(repo_url), sha, load)

    # --- fetching ---
    def _check_sha(self, repo_url: str, commit_sha: str) -> str:
        sha = commit_sha.strip().lower()
        if not _HEX.match(sha):
            raise RevisionNotFoundError(
                f"{commit_sha!r} is not a commit SHA",
                target=f"repository {redact(repo_url)}",
                hint="resolve targetRevision to a commit first (RevisionResolver.resolve)",
            )
        return sha

    def _git_local(
        self, repo_url: str, args: list[str], extra_env: dict[str, str] | None = None, quiet: bool = False
    ) -> str:
        mirror = self.mirror_path(repo_url)
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), "git")
        return self.runner.run(
            ["--git-dir", str(mirror), *args],
            repo_url=repo_url,
            creds=None,
            action=f"git {verb} in the local mirror",
            extra_env=extra_env,
            quiet=quiet,
        )

    def _present(self, repo_url: str, sha: str) -> str | None:
        if not self.mirror_path(repo_url).is_dir():
            return None
        try:
            out = self._git_local(
                repo_url, ["rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}"], quiet=True
            ).strip()
        except GitError:
            return None
        return out if len(out) == 40 else None

    def _init_mirror(self, repo_url: str) -> None:
        mirror = self.mirror_path(repo_url)
        if mirror.is_dir():
            return
        tmp = mirror.with_name(f".tmp-{uuid.uuid4().hex}.git")
        self.runner.run(
            ["init", "--quiet", "--bare", str(tmp)], repo_url=repo_url, creds=None, action="git init"
        )
        for key, value in (("gc.auto", "0"), ("core.symlinks", "true"), ("bosun.url", redact(repo_url))):
            self.runner.run(
                ["--git-dir", str(tmp), "config", key, value],
                repo_url=repo_url,
                creds=None,
                action="git config",
            )
        os.rename(tmp, mirror)

    def _fetch(self, repo_url: str, creds: RepoCredentials | None, refspecs: list[str]) -> None:
        url, creds = with_url_credentials(validate(repo_url), creds)
        self.metrics.inc("git_requests_total", type="fetch")
        log.info("fetching %s from %s", " ".join(refspecs), redact(url))
        started = time.monotonic()
        try:
            self.runner.run(
                # --no-tags: no tag-following round trip (~40% of a one-commit fetch)
                ["--git-dir", str(self.mirror_path(repo_url)), "-c", "maintenance.auto=false", "fetch",
                 "--quiet", "--force", "--prune", "--no-tags", "--no-write-fetch-head", "--", url, *refspecs],
                repo_url=url,
                creds=creds,
                action="git fetch",
            )  # fmt: skip
        except GitError:
            self.metrics.inc("git_request_failures_total", type="fetch")
            raise
        finally:
            self.metrics.inc("git_request_seconds_total", time.monotonic() - started, type="fetch")

    def _fetch_if_missing(self, repo_url: str, sha: str, creds: RepoCredentials | None) -> None:
        self._init_mirror(repo_url)
        (self.mirror_path(repo_url) / "bosun-used").touch()
        if self._present(repo_url, sha):
            return
        if len(sha) == 40:
            try:  # the commit alone (servers allow reachable SHAs in protocol v2), kept under a ref
                # so the next fetch offers it as a `have` and receives only the new objects
                self._fetch(repo_url, creds, [f"+{sha}:{FETCHED_REF}"])
            except GitAuthError:
                raise
            except GitError:
                pass
            if self._present(repo_url, sha):
                return
        self._fetch(repo_url, creds, ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
        if not self._present(repo_url, sha):
            raise RevisionNotFoundError(
                f"commit {sha} is not in the repository",
                target=f"repository {redact(repo_url)}",
                hint="check targetRevision; a commit must be reachable from a branch or tag of the repository",
            )

    # --- snapshots ---
    def _touch(self, final: Path) -> None:
        meta = final.with_name(final.name + ".meta")
        try:
            os.utime(meta)
        except FileNotFoundError:
            self._write_meta(meta, tree_size(final))

    def _write_meta(self, meta: Path, size: int) -> None:
        tmp = meta.with_name(f".{meta.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(orjson.dumps({"bytes": size, "created": self._clock()}))
        os.replace(tmp, meta)

    def _materialise(self, repo_url: str, sha: str) -> Path:
        # one writer per snapshot: a webhook's prefetch and its refresh never both write a tree
        with flock(self.cache_dir / "locks" / f"write-{sha[:2]}.lock", fcntl.LOCK_EX):
            return self._materialise_once(repo_url, sha)

    def _materialise_once(self, repo_url: str, sha: str) -> Path:
        final = self.snapshot_path(repo_url, sha)
        if final.is_dir():
            self._touch(final)
            self.metrics.inc("snapshots_total", result="reused")
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        (self.mirror_path(repo_url) / "bosun-used").touch()
        token = uuid.uuid4().hex
        tmp = final.with_name(f".tmp-{sha}-{token}")
        index = final.with_name(f".index-{token}")
        tmp.mkdir()
        try:
            self._git_local(
                repo_url,
                ["-c", "core.symlinks=true", "--work-tree", str(tmp), "read-tree", "--reset", "-u", sha],
                extra_env={"GIT_INDEX_FILE": str(index)},
            )
            size = tree_size(tmp)
            make_read_only(tmp)
            self._write_meta(final.with_name(final.name + ".meta"), size)
            try:
                os.rename(tmp, final)
                self.metrics.inc("snapshots_total", result="created")
            except OSError:
                if not final.is_dir():
                    raise
                self.metrics.inc("snapshots_total", result="reused")  # another process won the race
        finally:
            index.unlink(missing_ok=True)
            remove_tree(tmp)
        return final

    def evict(self) -> EvictionReport:
        """Removes what is older than max_age_seconds, then the least recently used over max_bytes."""
        return evict_cache(
            self.cache_dir,
            self.max_bytes,
            self.max_age_seconds,
            self._clock(),
            self._lease_lock,
            self.metrics,
        )
