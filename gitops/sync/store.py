"""`OperationStore`: where the engine loads and saves an app's operation state between steps.

The control plane implements it on Redis plus the Application resource; `MemoryOperationStore` is
the in-process implementation for tests. `finish` must save the final state and append the history
entry atomically, and at most once per operation id (`state.bosun["operationId"]`), so a step
repeated after a crash records one deploy once. The engine's bookkeeping lives in
`state.bosun`: a store must keep it (Argo CD's CRD schema would prune it from the Application's
status, so keep the full state in Redis and mirror the Argo fields to the Application).
"""

from __future__ import annotations

import copy
import threading
from typing import Protocol

from gitops.model.history import append_history
from gitops.model.operation import OperationState
from gitops.model.status import HistoryEntry


class OperationStore(Protocol):
    def load(self, app: str) -> OperationState | None:
        """The app's current (or last) operation state; None when it never had one."""
        ...

    def save(self, app: str, state: OperationState) -> None:
        """Persist the state after a step (overwrites)."""
        ...

    def finish(self, app: str, state: OperationState, entry: HistoryEntry | None, history_limit: int) -> None:
        """Persist a completed state and, atomically, append `entry` to the app's history."""
        ...

    def history(self, app: str) -> list[HistoryEntry]:
        """The app's deployment history, oldest first."""
        ...


class MemoryOperationStore:
    """Thread-safe in-memory store (deep copies in and out, like a real store's serialisation)."""

    def __init__(self) -> None:
        self._states: dict[str, dict[str, object]] = {}
        self._history: dict[str, list[HistoryEntry]] = {}
        self._finished: set[str] = set()
        self._lock = threading.Lock()
        self.saves = 0

    def load(self, app: str) -> OperationState | None:
        with self._lock:
            raw = self._states.get(app)
            return OperationState.from_dict(copy.deepcopy(raw)) if raw is not None else None

    def save(self, app: str, state: OperationState) -> None:
        with self._lock:
            self._states[app] = copy.deepcopy(state.to_dict())
            self.saves += 1

    def finish(self, app: str, state: OperationState, entry: HistoryEntry | None, history_limit: int) -> None:
        with self._lock:
            self._states[app] = copy.deepcopy(state.to_dict())
            self.saves += 1
            operation_id = str(state.bosun.get("operationId") or "")
            if entry is not None and operation_id not in self._finished:
                self._history[app] = append_history(
                    self._history.get(app, []), copy.deepcopy(entry), history_limit
                )
            if operation_id:
                self._finished.add(operation_id)

    def history(self, app: str) -> list[HistoryEntry]:
        with self._lock:
            return copy.deepcopy(self._history.get(app, []))
