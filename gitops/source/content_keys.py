"""Content-addressed keys of rendered manifests: a commit that does not touch what a render reads
reuses it (Argo CD's manifest-generate-paths optimisation, without needing the annotation).

Two entries (both HMAC-authenticated by `ManifestCache`):
- the *pointer* (`Keys.manifest_inputs`), keyed by (repo, app path, render recipe, tool versions, git tree id of the app path,
  ids of the `manifest-generate-paths` entries): the repository paths outside the app path that
  the last render with exactly these inputs read (`Rendered.inputs`: kustomize bases, helm value
  files, jsonnet imports, symlinked files, ...);
- the *content* entry (`Keys.manifests`), keyed by (pointer, ids of those outside paths at this commit): the manifests.
A render reads only the app path and its recorded inputs, so equal ids mean equal output, and the
input set itself can only change when one of those ids changes. Where a tree id does not cover
what a render may read, the caller falls back to the commit key: a symlink under the app path or
under an input, an input outside the repository, a glob in manifest-generate-paths, or a pointer
recorded as `commit` (the last render of these inputs could not be content-keyed). Build
variables the spec references (`$ARGOCD_APP_REVISION`...) and `$ref` commits are in the recipe,
so such sources are keyed per commit anyway.

`PointerMemo` keeps the pointers this process has read or written (pointer -> outside paths), so a
warm lookup costs one GET, as a commit-keyed one did. Any authentic (pointer, paths) pair stays
valid forever: a content entry for those paths and ids can only come from a render that read exactly
them, with those ids, so it is right for every commit where they have those ids.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import orjson

from gitops.source.manifest_cache import CachedManifests, ManifestCache
from gitops.source.tree_index import TreeIndex, clean

CONTENT_VERSION = 1
COMMIT_KEYED = "commit"  # source_type of a pointer saying "use the commit key"
POINTER = "inputs"


def _digest(material: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(material, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _under(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")


def watched_paths(app_path: str, generate_paths: Iterable[str]) -> list[str] | None:
    """Repository-relative paths of `manifest-generate-paths` (relative to the app path, or from the
    root with a leading `/`); None when one cannot be keyed by a tree id (a glob, or outside)."""
    out = []
    for entry in generate_paths:
        if any(char in entry for char in "*?["):
            return None
        joined = entry.lstrip("/") if entry.startswith("/") else os.path.join(app_path or ".", entry)
        normal = os.path.normpath(joined or ".")
        if normal.startswith("..") or os.path.isabs(normal):
            return None
        out.append(clean(normal))
    return sorted(set(out))


class PointerMemo:
    """pointer digest -> outside paths, the last `size` of this process (see the module docstring)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, pointer: str) -> frozenset[str] | None:
        with self._guard:
            found = self._entries.get(pointer)
            if found is not None:
                self._entries.move_to_end(pointer)
            return found

    def put(self, pointer: str, outside: frozenset[str]) -> None:
        with self._guard:
            self._entries[pointer] = outside
            self._entries.move_to_end(pointer)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class ContentKeys:
    """The content keys of one source at one commit (see the module docstring)."""

    def __init__(
        self,
        manifests: ManifestCache,
        index: TreeIndex,
        *,
        repo: str,
        path: str,
        params_hash: str,
        tools: dict[str, str],
        watched: list[str],
        memo: PointerMemo | None = None,
    ) -> None:
        self.manifests = manifests
        self.memo = memo or PointerMemo(0)
        self.index = index
        self.path = clean(path)
        trees = {p: index.hash_of(p) or "" for p in [self.path, *watched]}
        self.pointer = _digest(
            {"v": CONTENT_VERSION, "kind": POINTER, "repo": repo, "path": self.path,
             "params": params_hash, "tools": tools, "trees": trees}
        )  # fmt: skip

    @classmethod
    def build(
        cls,
        manifests: ManifestCache,
        index: TreeIndex,
        *,
        repo: str,
        path: str,
        params_hash: str,
        tools: dict[str, str],
        generate_paths: Iterable[str],
        memo: PointerMemo | None = None,
    ) -> ContentKeys | None:
        """Keys for the source, or None when its app path cannot be content-keyed."""
        watched = watched_paths(path, generate_paths)
        app_path = clean(path)
        if watched is None or index.hash_of(app_path) is None:
            return None
        if any(index.has_symlink_under(p) for p in [app_path, *watched]):
            return None
        return cls(manifests, index, repo=repo, path=path, params_hash=params_hash, tools=tools,
                   watched=watched, memo=memo)  # fmt: skip

    def outside(self, inputs: Iterable[str]) -> frozenset[str]:
        """The recorded inputs that are not under the app path."""
        return frozenset(c for c in (clean(i) for i in inputs) if not _under(c, self.path))

    def content_digest(self, outside: Iterable[str]) -> str | None:
        """The key of the manifests given the outside inputs; None when one cannot be keyed."""
        ids: dict[str, str] = {}
        for path in sorted(set(outside)):
            if path.startswith("..") or path.startswith("/") or self.index.has_symlink_under(path):
                return None
            ids[path] = self.index.hash_of(path) or "absent"
        return _digest({"v": CONTENT_VERSION, "kind": "content", "pointer": self.pointer, "inputs": ids})

    def lookup(self) -> str | None:
        """The content key of this commit's render, when a pointer for these inputs is cached."""
        outside = self.memo.get(self.pointer)
        if outside is None:
            pointer = self.manifests.get_inputs(self.pointer)
            if pointer is None or pointer.error is not None or pointer.source_type != POINTER:
                return None
            outside = pointer.inputs
            self.memo.put(self.pointer, outside)
        return self.content_digest(outside)

    def store(self, entry: CachedManifests) -> bool:
        """Store a successful render under its content key; False (a `commit` pointer written) when
        it read something a tree id does not cover: the caller stores it by commit instead."""
        outside = self.outside(entry.inputs)
        digest = self.content_digest(outside)
        if digest is None:
            self.manifests.put_inputs(self.pointer, CachedManifests([], COMMIT_KEYED, outside))
            return False
        self.manifests.put_inputs(self.pointer, CachedManifests([], POINTER, outside))
        self.manifests.put(digest, entry)
        self.memo.put(self.pointer, outside)
        return True
