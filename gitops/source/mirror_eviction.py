"""Eviction of the git cache: snapshots and mirrors unused too long, then least recently used first.

`evict_cache(cache_dir, max_bytes, max_age_seconds, now, lease_lock, metrics) -> EvictionReport`
(called by `Mirrors.evict()`). An entry is removed only under an exclusive non-blocking lock: its
snapshot lease stripe or its mirror lock; an entry in use is skipped and reported. Removal renames
the entry aside first, so no reader ever sees half of it. Temporary directories of crashed
processes older than an hour are cleaned up on the way.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from gitops.source.cache_files import flock, remove_tree, tree_size
from gitops.source.git_metrics import GitMetrics

STALE_TMP_SECONDS = 3600.0


@dataclass
class EvictionReport:
    """What one `evict()` removed, and what it had to keep because it was in use."""

    removed_snapshots: list[Path] = field(default_factory=list)
    removed_mirrors: list[Path] = field(default_factory=list)
    skipped_in_use: list[Path] = field(default_factory=list)
    freed_bytes: int = 0
    total_bytes_after: int = 0


@dataclass
class _Entry:
    kind: str
    path: Path
    last_used: float
    size: int
    lock: Path
    meta: Path | None = None


def _clean_stale(path: Path, now: float) -> None:
    try:
        if now - path.lstat().st_mtime <= STALE_TMP_SECONDS:
            return
    except FileNotFoundError:
        return
    if path.is_dir() and not path.is_symlink():
        remove_tree(path)
    else:
        path.unlink(missing_ok=True)


def _entries(cache_dir: Path, now: float, lease_lock: Callable[[str], Path]) -> list[_Entry]:
    entries: list[_Entry] = []
    for repo_dir in (cache_dir / "snapshots").iterdir():
        if not repo_dir.is_dir():
            continue
        for child in repo_dir.iterdir():
            if child.name.startswith((".tmp-", ".trash-", ".index-")):
                _clean_stale(child, now)
                continue
            if not child.is_dir() or child.is_symlink():
                continue
            meta = child.with_name(child.name + ".meta")
            try:
                last_used = meta.stat().st_mtime
                size = int(orjson.loads(meta.read_bytes())["bytes"])
            except (OSError, ValueError, KeyError):
                last_used, size = child.stat().st_mtime, tree_size(child)
            entries.append(_Entry("snapshot", child, last_used, size, lease_lock(child.name), meta))
    for mirror in (cache_dir / "mirrors").iterdir():
        if mirror.name.startswith((".tmp-", ".trash-")):
            _clean_stale(mirror, now)
            continue
        if not mirror.is_dir():
            continue
        marker = mirror / "bosun-used"
        last_used = marker.stat().st_mtime if marker.exists() else mirror.stat().st_mtime
        lock = cache_dir / "locks" / f"{mirror.name[: -len('.git')]}.lock"
        entries.append(_Entry("mirror", mirror, last_used, tree_size(mirror), lock))
    return entries


def _remove(entry: _Entry, report: EvictionReport, metrics: GitMetrics) -> bool:
    with flock(entry.lock, fcntl.LOCK_EX | fcntl.LOCK_NB) as got:
        if not got:
            report.skipped_in_use.append(entry.path)
            return False
        trash = entry.path.with_name(f".trash-{uuid.uuid4().hex}")
        try:
            os.rename(entry.path, trash)
        except FileNotFoundError:
            return False
        if entry.meta is not None:
            entry.meta.unlink(missing_ok=True)
    remove_tree(trash)
    report.freed_bytes += entry.size
    (report.removed_snapshots if entry.kind == "snapshot" else report.removed_mirrors).append(entry.path)
    metrics.inc("evictions_total", what=entry.kind)
    return True


def evict_cache(
    cache_dir: Path,
    max_bytes: int,
    max_age_seconds: float,
    now: float | None,
    lease_lock: Callable[[str], Path],
    metrics: GitMetrics,
) -> EvictionReport:
    """Removes what is older than max_age_seconds, then the least recently used over max_bytes."""
    report = EvictionReport()
    now = time.time() if now is None else now
    kept: list[_Entry] = []
    for entry in sorted(_entries(cache_dir, now, lease_lock), key=lambda e: e.last_used):
        if now - entry.last_used > max_age_seconds and _remove(entry, report, metrics):
            continue
        kept.append(entry)
    total = sum(e.size for e in kept)
    for entry in list(kept):
        if total <= max_bytes:
            break
        if entry.path in report.skipped_in_use:
            continue
        if _remove(entry, report, metrics):
            total -= entry.size
    report.total_bytes_after = total
    return report
