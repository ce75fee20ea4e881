# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 2: the lock holder is SIGSTOPped past its lock TTL; another worker takes the app; after
SIGCONT the first one's write is rejected by the fencing number and it stops cleanly."""

from __future__ import annotations

import signal
import time

import pytest
import redis

from gitops.coordination import EventLog
from gitops.registry import durable_fence

from .stack import EngineStack, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.reliability(
    case="F2 lock holder SIGSTOPped past its TTL, then SIGCONT",
    done="worker w1 (probe reconciler, 2.5 s per refresh) takes the app lock (TTL 3 s); SIGSTOP its process "
    "group inside the refresh; after 4 s a second refresh runs on w2; SIGCONT w1",
    checked="w2 refreshes while w1 is stopped; w1's late write is refused ('fenced', event refresh-fenced); the "
    "durable status keeps w2's fence; never two refreshes inside at once from w1's point of view after resume; "
    "w1 keeps serving (a later refresh succeeds)",
)
def test_stopped_lock_holder_is_fenced(stack: EngineStack, rclient: redis.Redis) -> None:
    stack.app("contested", **{"probe/sleep": "2.5"})
    first = stack.worker("w1", concurrency=1)
    stack.refresh("contested")
    wait_for(lambda: stack.probe(rclient, "inside", "contested") == 1, 30, "w1 inside the refresh")
    import os

    os.killpg(first.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(4.0)  # lock TTL is 3 s: the lease expires while w1 is frozen
        second = stack.worker("w2", concurrency=1)
        stack.redis.delete(stack.keys.refresh_pending("contested"))
        stack.refresh("contested")
        wait_for(lambda: "'refreshed'" in second.text(), 30, "w2 refreshed")
        fence_w2 = durable_fence(stack.registry.application("contested") or {})
    finally:
        os.killpg(first.proc.pid, signal.SIGCONT)
    wait_for(lambda: "'fenced'" in first.text(), 30, f"w1 fenced\n{first.text()[-2000:]}")
    assert durable_fence(stack.registry.application("contested") or {}) == fence_w2
    kinds = [e.kind for e in EventLog(rclient, stack.keys).recent("contested")]
    assert "refresh-fenced" in kinds
    second.stop()
    stack.refresh("contested")
    wait_for(lambda: first.text().count("'refreshed'") >= 1, 30, "w1 carries on")
    assert first.proc.poll() is None
