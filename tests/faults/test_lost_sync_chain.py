# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 1b: the queued next step of a running sync is lost (the worker is stopped and the sync queue
and its pending marker are wiped, as when an enqueue fails or a step raises). The beat tick sees the
operation Running with a stalled chain and queues a step again; the operation finishes."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from controlplane.workers_proc import start_beat

from gitops.coordination import EventLog

from .stack import EngineStack, configmap, wait_for
from .test_worker_killed import DEPLOYMENT, uids

pytestmark = pytest.mark.slow


@pytest.mark.reliability(
    case="F1b next sync step lost (queue and pending marker wiped) mid multi-wave sync",
    done="3-wave app held Running in wave 1 (paused kubesim controllers); stop the worker; delete the sync "
    "queue, the unacked set and the step's pending marker; start a worker and a beat (tick 0.5 s, stall bound "
    "= lock TTL 3 s); resume controllers",
    checked="the tick re-drives the operation (a 'sync-redriven' event); it finishes Succeeded, Synced+Healthy, "
    "with the last wave applied",
)
def test_tick_redrives_a_running_operation_whose_chain_was_lost(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("lost-chain")
    repo.commit({
        "app/first.yaml": configmap("first", "1", wave=0),
        "app/middle.yaml": DEPLOYMENT,
        "app/last.yaml": configmap("last", "3", wave=2),
    })  # fmt: skip
    stack.env |= {
        "BOSUN_LOCK_TTL_SECONDS": "3",
        "BOSUN_TICK_SECONDS": "0.5",
        "BOSUN_REFRESH_JITTER_SECONDS": "0",
    }
    admin = stack.kubesim.admin
    admin.pause_controllers()
    stack.application("lost", git_server.url("lost-chain"), "app", "lost")
    first = stack.engine_worker("w1")
    stack.refresh("lost")
    wait_for(lambda: "deploy/middle" in uids(stack, "lost"), 90, f"wave 1 applied\n{first.text()[-3000:]}")
    first.stop(signal.SIGTERM)  # warm shutdown: the step in flight finishes and queues the next one
    prefix = stack.settings.redis_prefix
    stack.redis.delete(f"{prefix}:celery:sync", f"{prefix}:celery:unacked", f"{prefix}:celery:unacked_index")
    stack.redis.delete(stack.keys.sync_pending("lost"))
    assert (stack.status("lost").get("operationState") or {}).get("phase") == "Running"
    time.sleep(4)  # past the stall bound: no step ran or is queued
    second = stack.engine_worker("w2")
    (stack.tmp / "beat").mkdir()
    stack.processes.append(start_beat(stack.env, stack.tmp / "beat" / "beat.log", stack.tmp / "beat"))
    admin.resume_controllers()
    wait_for(lambda: "last" in uids(stack, "lost"), 90, f"wave 2 applied by w2\n{second.text()[-3000:]}")
    wait_for(lambda: stack.synced_healthy("lost"), 60, "Synced and Healthy")
    assert stack.status("lost")["operationState"]["phase"] == "Succeeded"
    kinds = [e.kind for e in EventLog(stack.redis, stack.keys).recent("lost", 200)]
    assert "sync-redriven" in kinds, kinds
