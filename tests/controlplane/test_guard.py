"""Bounded redelivery against a real redis-server: a task id delivered too often is dropped, with an event."""

from __future__ import annotations

import redis

from gitops.coordination import EventLog
from gitops.settings import Settings
from workers.context import WorkerContext
from workers.guard import over_delivered


def test_task_dropped_after_max_deliveries(settings: Settings, rclient: redis.Redis) -> None:
    ctx = WorkerContext(settings.model_copy(update={"task_max_deliveries": 3}))
    verdicts = [over_delivered(ctx, "task-123", "bosun.refresh", "guestbook") for _ in range(5)]
    assert verdicts == [False, False, False, True, True]
    events = EventLog(rclient, ctx.keys).recent("guestbook")
    assert events[0].kind == "task-dropped" and "bosun.refresh dropped after" in events[0].message
    assert rclient.ttl(ctx.keys.task_deliveries("task-123")) > 0
    assert over_delivered(ctx, "another-task", "bosun.refresh", "guestbook") is False
    assert over_delivered(ctx, None, "bosun.tick", None) is False
