"""Celery entry module for worker subprocesses in control-plane tests: Bosun's real app and tasks,
with a probe Reconciler at the engine port that records, in Redis, every call and how many ran at
once per app (so tests can prove exclusion and coalescing across processes).

Probe behaviour comes from the Application's annotations:
`probe/sleep` (seconds inside each call), `probe/sync` (status to report, default Synced),
`probe/start-sync` ("true": the first refresh asks for an automated sync), `probe/steps` (sync steps before done),
`probe/step-raises` ("true": every sync step raises, as when the app's destination cannot be read).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workers.celery_app import app  # noqa: F401  (the worker's Celery app)
from workers.context import WorkerContext, set_reconciler_factory
from workers.ports import RefreshOutcome, StepOutcome


def probe_key(ctx: WorkerContext, *parts: str) -> str:
    return ":".join((ctx.settings.redis_prefix, "probe", *parts))


class ProbeReconciler:
    def __init__(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def _enter(self, kind: str, name: str, annotations: Mapping[str, str]) -> None:
        redis = self.ctx.redis
        inside = redis.incr(probe_key(self.ctx, "inside", name))
        redis.rpush(probe_key(self.ctx, "max", name), inside)
        redis.incr(probe_key(self.ctx, "calls", kind, name))
        time.sleep(float(annotations.get("probe/sleep", "0")))
        redis.decr(probe_key(self.ctx, "inside", name))

    def refresh(self, resource: Mapping[str, Any], hard: bool) -> RefreshOutcome:
        meta = resource.get("metadata") or {}
        name, annotations = str(meta["name"]), meta.get("annotations") or {}
        self._enter("refresh", name, annotations)
        if hard:
            self.ctx.redis.incr(probe_key(self.ctx, "calls", "hard", name))
        status = {
            "sync": {"status": annotations.get("probe/sync", "Synced"), "revision": "f" * 40},
            "health": {"status": "Healthy"},
            "reconciledAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return RefreshOutcome(
            status, start_sync=self._first_auto_sync(name, annotations), summary="probe refresh"
        )

    def _first_auto_sync(self, name: str, annotations: Mapping[str, str]) -> bool:
        """One automated sync per app (as an app that is Synced after it), when annotated."""
        if annotations.get("probe/start-sync") != "true":
            return False
        return bool(self.ctx.redis.set(probe_key(self.ctx, "started", name), "1", nx=True))

    def sync_step(self, resource: Mapping[str, Any]) -> StepOutcome:
        meta = resource.get("metadata") or {}
        name, annotations = str(meta["name"]), meta.get("annotations") or {}
        self._enter("step", name, annotations)
        if annotations.get("probe/step-raises") == "true":
            raise RuntimeError("probe: this step cannot run")
        steps = int(self.ctx.redis.get(probe_key(self.ctx, "calls", "step", name)) or 0)
        done = steps >= int(annotations.get("probe/steps", "1"))
        phase = "Succeeded" if done else "Running"
        status = {
            **(resource.get("status") or {}),
            "operationState": {"phase": phase, "message": f"step {steps}"},
        }
        status.pop("bosun", None)
        return StepOutcome(status, done=done, summary=f"probe step {steps} {phase}")


set_reconciler_factory(ProbeReconciler)
