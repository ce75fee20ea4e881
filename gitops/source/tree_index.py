"""The object ids of every file and directory of one commit, for content-keyed render caching.

`parse_ls_tree(commit, output)` reads `git ls-tree -r -t -z --full-tree <commit>` into a
`TreeIndex`: `hash_of(path)` is the git tree id of a directory or the blob id of a file (the
commit id itself for the repository root, conservative: any change anywhere changes it; None when
the path does not exist), and `has_symlink_under(path)` says whether a symbolic link lies at or
below it (a link's target is content its tree id does not cover, so callers fall back to keying by
commit). Paths are repository-relative with `/` separators; `""` or `"."` is the root.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

SYMLINK_MODE = "120000"


def clean(path: str) -> str:
    """`./a/b/` -> `a/b`; the root is `""`."""
    parts = [p for p in path.strip().split("/") if p not in ("", ".")]
    return "/".join(parts)


@dataclass
class TreeIndex:
    """Object ids of one commit's paths (see the module docstring)."""

    commit: str
    ids: dict[str, str] = field(default_factory=dict)
    symlink_dirs: set[str] = field(default_factory=set)  # every ancestor directory of a symlink
    symlinks: set[str] = field(default_factory=set)

    def hash_of(self, path: str) -> str | None:
        path = clean(path)
        if path == "":
            return self.commit
        return self.ids.get(path)

    def has_symlink_under(self, path: str) -> bool:
        path = clean(path)
        if path == "":
            return bool(self.symlinks)
        return path in self.symlink_dirs or path in self.symlinks


def parse_ls_tree(commit: str, output: str) -> TreeIndex:
    """A TreeIndex from NUL-separated `<mode> <type> <id>\\t<path>` records."""
    index = TreeIndex(commit)
    for record in output.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if len(fields) < 3 or not path:
            continue
        mode, object_id = fields[0], fields[2]
        index.ids[path] = f"{fields[1]}:{object_id}"
        if mode == SYMLINK_MODE:
            index.symlinks.add(path)
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                index.symlink_dirs.add("/".join(parts[:i]))
    return index


class TreeIndexCache:
    """The last `size` TreeIndexes of this process, by (repository digest, commit)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], TreeIndex] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, repo: str, commit: str, load: Callable[[], str]) -> TreeIndex:
        key = (repo, commit)
        with self._guard:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        index = parse_ls_tree(commit, load())
        with self._guard:
            self._entries[key] = index
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return index
