"""The sync engine's `OperationStore` over an Application's status, for one step under the app lock.

The engine loads and saves operation state through it during a step; nothing is written until the
step ends, when the task writes the whole status (operationState and history together) with the
lease's fence, hot and durable. So `finish` is atomic with the history entry by construction, and an
entry already present (same deployStartedAt and revision, a step repeated after a crash) is not
added twice.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gitops.model.history import append_history
from gitops.model.operation import OperationState
from gitops.model.status import HistoryEntry


class StatusOperationStore:
    """Operation state and history of one app, read from and collected into its status document."""

    def __init__(self, app: str, status: Mapping[str, Any] | None) -> None:
        self.app = app
        self.status: dict[str, Any] = copy.deepcopy(dict(status or {}))
        self.status.pop("bosun", None)

    def _check(self, app: str) -> None:
        if app != self.app:
            raise ValueError(f"operation store of app {self.app!r} asked about {app!r}")

    def load(self, app: str) -> OperationState | None:
        self._check(app)
        raw = self.status.get("operationState")
        return OperationState.from_dict(copy.deepcopy(raw)) if raw else None

    def save(self, app: str, state: OperationState) -> None:
        self._check(app)
        self.status["operationState"] = copy.deepcopy(state.to_dict())

    def finish(self, app: str, state: OperationState, entry: HistoryEntry | None, history_limit: int) -> None:
        self.save(app, state)
        if entry is None:
            return
        history = self.history(app)
        if any(
            h.deploy_started_at == entry.deploy_started_at and h.revision == entry.revision for h in history
        ):
            return
        updated = append_history(history, copy.deepcopy(entry), history_limit)
        self.status["history"] = [h.to_dict() for h in updated]

    def history(self, app: str) -> list[HistoryEntry]:
        self._check(app)
        return [HistoryEntry.from_dict(h) for h in self.status.get("history") or []]
