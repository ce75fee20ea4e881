# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 4: the destination API server answers 20% errors (500, 503, 429 with Retry-After), adds latency
and drops connections for a bounded time (20 s here instead of five minutes, to fit CI)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from .stack import EngineStack, configmap

pytestmark = pytest.mark.slow
APPS = ("flaky-a", "flaky-b", "flaky-c")
FAULT_SECONDS = 30.0
SYNC_TIMEOUT = 60


def check_invariants(stack: EngineStack, name: str, violations: list[str]) -> None:
    status = stack.status(name)
    sync = (status.get("sync") or {}).get("status")
    resources = status.get("resources") or []
    if sync == "Synced" and any(r.get("status") != "Synced" for r in resources):
        violations.append(f"{name} Synced with unsynced resources {resources}")
    op = status.get("operationState") or {}
    if op.get("phase") == "Running" and op.get("startedAt"):
        started = datetime.strptime(op["startedAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if (datetime.now(UTC) - started).total_seconds() > SYNC_TIMEOUT + 15:
            violations.append(f"{name} operation Running past its timeout")


@pytest.mark.reliability(
    case="F4 kubesim 20% errors (500/503/429 + Retry-After), latency, dropped connections",
    done=f"3 automated apps (3 objects each, 2 waves; syncPolicy.retry limit 10, backoff 1 s x2 up to 8 s) syncing while kubesim injects, "
    f"on every ConfigMap request (the apps' objects), 20% errors among 500/503/429 (Retry-After 1 s), +50 ms latency and 5% dropped connections for "
    f"{FAULT_SECONDS:g} s (scaled down from 5 minutes); statuses sampled every 0.3 s; sync timeout {SYNC_TIMEOUT} s",
    checked="errors fired (counts printed); no sample shows an app Synced while one of its resources is not, nor an "
    "operation Running past its timeout; after the faults end every app is Synced+Healthy with all objects "
    "live (syncs finished through retries/backoff)",
)
def test_syncs_finish_through_api_faults(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("flaky-cluster")
    repo.commit({
        "app/a.yaml": configmap("first", "1", wave=0),
        "app/b.yaml": configmap("second", "2", wave=1),
        "app/c.yaml": configmap("third", "3", wave=1),
    })  # fmt: skip
    stack.env |= {"BOSUN_SYNC_TIMEOUT_SECONDS": str(SYNC_TIMEOUT)}
    admin = stack.kubesim.admin
    admin.set_faults([
        {"id": "errors", "resources": ["configmaps"], "error_rate": 0.2, "statuses": [500, 503, 429],
         "retry_after": 1, "duration": FAULT_SECONDS},
        {"id": "slow", "resources": ["configmaps"], "latency": 0.05, "duration": FAULT_SECONDS},
        {"id": "drops", "resources": ["configmaps"], "drop_rate": 0.05, "duration": FAULT_SECONDS},
    ], seed=7)  # fmt: skip
    for name in APPS:
        stack.application(
            name, git_server.url("flaky-cluster"), "app", name, **{"bosun.dev/refresh-interval": "3s"}
        )
        retry = {"limit": 10, "backoff": {"duration": "1s", "factor": 2, "maxDuration": "8s"}}
        stack.registry.patch(name, {"spec": {"syncPolicy": {"retry": retry}}})
    stack.env |= {"BOSUN_TICK_SECONDS": "0.5", "BOSUN_REFRESH_JITTER_SECONDS": "0"}
    worker = stack.engine_worker("w1")
    from controlplane.workers_proc import start_beat

    (stack.tmp / "beat").mkdir()
    stack.processes.append(start_beat(stack.env, stack.tmp / "beat" / "beat.log", stack.tmp / "beat"))
    violations: list[str] = []
    fired: dict[str, int] = {}
    faults_end = time.monotonic() + FAULT_SECONDS
    deadline = faults_end + 120
    while time.monotonic() < deadline:
        for name in APPS:
            check_invariants(stack, name, violations)
        fired = dict(admin.faults().get("injected") or {})
        if time.monotonic() > faults_end + 1 and all(stack.synced_healthy(n) for n in APPS):
            break
        time.sleep(0.3)
    assert violations == []
    assert all(stack.synced_healthy(n) for n in APPS), [stack.status(n) for n in APPS] + [
        worker.text()[-2000:]
    ]
    for name in APPS:
        assert [stack.configmap_value(c, name) for c in ("first", "second", "third")] == ["1", "2", "3"]
    assert fired.get("error", 0) > 0, fired
    print(f"faults fired: {fired}")
