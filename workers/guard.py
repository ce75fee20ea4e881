"""Bounded redelivery: acks_late redelivers a task whose worker died; a task id delivered more than
`task_max_deliveries` times is a poison message and is dropped (with an event naming the app)."""

from __future__ import annotations

import logging

from workers.context import WorkerContext

log = logging.getLogger(__name__)


def over_delivered(ctx: WorkerContext, task_id: str | None, task: str, app: str | None) -> bool:
    """Count this delivery; True when the task must be dropped."""
    if not task_id:
        return False
    ttl = ctx.settings.broker_visibility_timeout_seconds * (ctx.settings.task_max_deliveries + 2)
    count = ctx.claims.count(ctx.keys.task_deliveries(task_id), ttl)
    if count <= ctx.settings.task_max_deliveries:
        return False
    message = f"{task} dropped after {count - 1} deliveries (its worker kept dying)"
    log.error("%s%s", message, f" for app {app}" if app else "")
    if app:
        ctx.events.record(app, "task-dropped", message)
    return True
