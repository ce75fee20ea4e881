"""Object storage: one resourceVersion counter for the whole server, objects per (group, plural), the event log
watches replay from, and the live watch subscriptions."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
StorageKey = tuple[str, str]


def object_key(namespace: str | None, name: str) -> str:
    """The etcd-like key suffix: `namespace/name` (or `name`), whose byte order is the list order."""
    return f"{namespace}/{name}" if namespace else name


@dataclass
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    key: StorageKey
    obj: Obj
    old: Obj | None


@dataclass
class Subscription:
    """A live watch: events of one (group, plural) pushed into `queue` (None marks the end)."""

    key: StorageKey
    accepts: Callable[[Event], bool]
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)


class Bucket:
    """Objects of one (group, plural), with a lazily rebuilt sorted key list and an index of keys by
    label (key, value), so a LIST with an equality label selector reads only its candidates, as the
    real server's watch cache serves it without decoding every object."""

    def __init__(self) -> None:
        self.objects: dict[str, Obj] = {}
        self._sorted: list[str] | None = None
        self._by_label: dict[tuple[str, str], set[str]] = {}

    def put(self, key: str, obj: Obj) -> None:
        old = self.objects.get(key)
        if old is None:
            self._sorted = None
        else:
            self._label_index(key, old, add=False)
        self.objects[key] = obj
        self._label_index(key, obj, add=True)

    def pop(self, key: str) -> Obj | None:
        self._sorted = None
        obj = self.objects.pop(key, None)
        if obj is not None:
            self._label_index(key, obj, add=False)
        return obj

    def _label_index(self, key: str, obj: Obj, *, add: bool) -> None:
        for pair in ((obj.get("metadata") or {}).get("labels") or {}).items():
            if add:
                self._by_label.setdefault(pair, set()).add(key)
            else:
                keys = self._by_label.get(pair)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._by_label[pair]

    def keys_labelled(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """Sorted keys of the objects carrying every label (key, value) of `pairs` (non-empty)."""
        sets = sorted((self._by_label.get(pair, set()) for pair in pairs), key=len)
        return sorted(set.intersection(*sets)) if sets[0] else []

    def sorted_keys(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted


class Store:
    """In-memory store. Not thread-safe: used from one asyncio loop only."""

    def __init__(self, window: int = 10_000) -> None:
        self.rv = 1
        self._buckets: dict[StorageKey, Bucket] = {}
        self._log: deque[Event] = deque(maxlen=window)
        self._subs: dict[StorageKey, list[Subscription]] = {}
        # garbage-collection indexes: owner uid -> dependents, and objects per namespace
        self._owned_by: dict[str, set[tuple[StorageKey, str]]] = {}
        self._owners_of: dict[tuple[StorageKey, str], frozenset[str]] = {}
        self._per_namespace: dict[str, int] = {}

    def bucket(self, key: StorageKey) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket()
        return bucket

    def get(self, key: StorageKey, namespace: str | None, name: str) -> Obj | None:
        bucket = self._buckets.get(key)
        return bucket.objects.get(object_key(namespace, name)) if bucket else None

    def items(
        self,
        key: StorageKey,
        namespace: str | None = None,
        start_after: str = "",
        labelled: Sequence[tuple[str, str]] | None = None,
    ) -> Iterator[Obj]:
        """Objects in key order, optionally of one namespace, strictly after the key `start_after`, and
        (`labelled`) only those carrying each of these labels (the caller still applies its selector)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return
        prefix = f"{namespace}/" if namespace else ""
        objects = bucket.objects
        for k in bucket.keys_labelled(labelled) if labelled else bucket.sorted_keys():
            if prefix and not k.startswith(prefix):
                continue
            if start_after and k <= start_after:
                continue
            obj = objects.get(k)
            if obj is not None:
                yield obj

    def count(self, key: StorageKey) -> int:
        bucket = self._buckets.get(key)
        return len(bucket.objects) if bucket else 0

    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def write(self, key: StorageKey, event_type: str, obj: Obj, old: Obj | None) -> None:
        """Store (or, for DELETED, remove) `obj` whose metadata.resourceVersion is already set; log + notify."""
        meta = obj["metadata"]
        namespace = meta.get("namespace")
        okey = object_key(namespace, meta["name"])
        bucket = self.bucket(key)
        existed = okey in bucket.objects
        if event_type == "DELETED":
            bucket.pop(okey)
            owners: frozenset[str] = frozenset()
            if existed and namespace:
                self._per_namespace[namespace] -= 1
        else:
            bucket.put(okey, obj)
            owners = frozenset(r.get("uid", "") for r in meta.get("ownerReferences") or ())
            if not existed and namespace:
                self._per_namespace[namespace] = self._per_namespace.get(namespace, 0) + 1
        self._index_owners((key, okey), owners)
        event = Event(int(meta["resourceVersion"]), event_type, key, obj, old)
        self._log.append(event)
        for sub in self._subs.get(key, ()):
            if sub.accepts(event):
                sub.queue.put_nowait(event)

    def _index_owners(self, ref: tuple[StorageKey, str], owners: frozenset[str]) -> None:
        before = self._owners_of.get(ref, frozenset())
        if before == owners:
            return
        for uid in before - owners:
            deps = self._owned_by.get(uid)
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._owned_by[uid]
        for uid in owners - before:
            self._owned_by.setdefault(uid, set()).add(ref)
        if owners:
            self._owners_of[ref] = owners
        else:
            self._owners_of.pop(ref, None)

    def dependents(self, uid: str) -> list[tuple[StorageKey, Obj]]:
        """Stored objects whose ownerReferences name `uid`."""
        found = []
        for key, okey in sorted(self._owned_by.get(uid, ())):
            obj = self.bucket(key).objects.get(okey)
            if obj is not None:
                found.append((key, obj))
        return found

    def namespace_count(self, namespace: str) -> int:
        """How many objects (of any kind) live in `namespace`."""
        return self._per_namespace.get(namespace, 0)

    def drop_all(self, key: StorageKey) -> None:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            return
        for okey, obj in bucket.objects.items():
            namespace = obj["metadata"].get("namespace")
            if namespace:
                self._per_namespace[namespace] -= 1
            self._index_owners((key, okey), frozenset())

    def oldest_rv(self) -> int:
        """Events after this version can be replayed; a watch from an older one is 410 Gone."""
        if len(self._log) < (self._log.maxlen or 0):
            return 0
        return self._log[0].rv - 1

    def events_after(self, key: StorageKey, rv: int) -> list[Event]:
        return [e for e in self._log if e.rv > rv and e.key == key]

    def subscribe(self, sub: Subscription) -> None:
        self._subs.setdefault(sub.key, []).append(sub)

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.key, [])
        if sub in subs:
            subs.remove(sub)

    def close_watches(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.queue.put_nowait(None)
