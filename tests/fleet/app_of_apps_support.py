"""A fleet driver for app-of-apps tests: the parent's manifests pass through `place_children`, a sync
can run other apps between its steps (children sync while the parent waits on their health), and
Application deletion runs the resources finalizer step by step (what a worker does on a refresh of
a terminating app), releasing the finalizer when done."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gitops.appofapps import DeletionStep, deletion_step, place_children, remaining_finalizers
from gitops.model.application import ApplicationSyncSpec
from gitops.model.operation import InitiatedBy, Operation, SyncOperation
from gitops.sync.engine import SyncEngine, SyncInputs
from gitops.sync.live import load_live
from gitops.tracking import kinds_to_list

from .driver import REVISION, FleetDriver

Obj = dict[str, Any]


class TreeDriver(FleetDriver):
    def _desired(self, app: Obj) -> list[Obj]:
        objects = super()._desired(app)
        return place_children(
            app["metadata"]["name"], objects, self.settings.namespace, app["spec"]["destination"]
        )

    def sync_stepwise(self, name: str, between: Callable[[], None]) -> str:
        """Run a full sync of `name`, calling `between()` after every step; the final phase."""
        app = self.registry.application(name)
        assert app is not None
        target = self._target(app)
        namespace = str(app["spec"]["destination"].get("namespace") or "")
        desired = self._desired(app)
        spec = ApplicationSyncSpec.from_spec(name, app["spec"])
        engine = SyncEngine(target.port, self.operations, settings=self.settings, poll_interval=0.05)
        engine.start(spec, Operation(sync=SyncOperation(revision=REVISION, prune=True),
                                     initiated_by=InitiatedBy(username="tester")))  # fmt: skip
        previous = (app.get("status") or {}).get("resources") or []
        for _ in range(400):
            live = load_live(target.port, name, desired, destination_namespace=namespace,
                             extra_kinds=kinds_to_list([], previous))  # fmt: skip
            result = engine.step(spec, SyncInputs(desired=desired, live=live))
            if result.finished:
                break
            between()
            time.sleep(min(result.next_step_delay or 0.05, 0.1))
        self.refresh(name)
        return result.phase

    def delete(self, name: str) -> None:
        self.registry.delete(name, propagation="Background")

    def finalize(self, name: str) -> DeletionStep | None:
        """One deletion step of a terminating app (None when the app is gone or not terminating)."""
        app = self.registry.application(name)
        if app is None or not app["metadata"].get("deletionTimestamp"):
            return None
        step = deletion_step(self._target(app).port, app)
        if step.done:
            finalizers = remaining_finalizers(app["metadata"].get("finalizers") or [])
            self.registry.patch(name, {"metadata": {"finalizers": finalizers or None}})
        return step

    def finalize_all(self, exclude: str = "") -> None:
        for app in self.registry.applications():
            if app["metadata"]["name"] != exclude:
                self.finalize(app["metadata"]["name"])
