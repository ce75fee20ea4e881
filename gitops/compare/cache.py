"""Remembered verdicts, so a refresh skips the server dry-run when neither side changed.

Key: app and object; value: fingerprint of the desired object (+ ignore rules) and the live
resourceVersion the verdict was computed against. Any change to either invalidates it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Verdict:
    fingerprint: str
    resource_version: str
    synced: bool
    diff: str


class DiffCache(Protocol):
    def get(self, key: str) -> Verdict | None: ...

    def put(self, key: str, verdict: Verdict) -> None: ...


class MemoryDiffCache:
    """A bounded LRU in process memory (one per worker process)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Verdict] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str) -> Verdict | None:
        with self._lock:
            verdict = self._entries.get(key)
            if verdict is not None:
                self._entries.move_to_end(key)
            return verdict

    def put(self, key: str, verdict: Verdict) -> None:
        with self._lock:
            self._entries[key] = verdict
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
