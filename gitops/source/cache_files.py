"""File-system helpers of the git cache directory: fcntl locks, read-only trees, sizes, removal.

- `flock(path, mode)`: context manager holding an fcntl lock (yields False if LOCK_NB failed);
- `make_read_only(path)` / `remove_tree(path)`: snapshots are read-only, removal restores write
  bits first; neither follows symlinks;
- `tree_size(path)`: bytes of a tree as lstat reports them (directories included).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def tree_size(path: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def make_read_only(path: Path) -> None:
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, os.lstat(full).st_mode & 0o555)
        for name in dirs:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, 0o555)
    os.chmod(path, 0o555)


def remove_tree(path: Path) -> None:
    """Deletes a (possibly read-only) tree without following symlinks."""
    if not path.exists() and not path.is_symlink():
        return
    for root, dirs, _files in os.walk(path):
        os.chmod(root, 0o755)
        for name in dirs:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                os.chmod(full, 0o755)
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def flock(path: Path, mode: int) -> Iterator[bool]:
    """Holds an fcntl lock on `path`; yields False (and holds nothing) if LOCK_NB could not get it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
