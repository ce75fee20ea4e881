# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 1: a worker SIGKILLed in the middle of a multi-wave sync; another worker finishes it."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from kubernetes import client as kclient

from .stack import EngineStack, configmap, wait_for

pytestmark = pytest.mark.slow

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: middle
  annotations:
    argocd.argoproj.io/sync-wave: "1"
spec:
  replicas: 1
  selector: {matchLabels: {app: middle}}
  template:
    metadata: {labels: {app: middle}}
    spec:
      containers: [{name: c, image: "nginx:1.27"}]
"""


def uids(stack: EngineStack, namespace: str) -> dict[str, Any]:
    core: Any = kclient.CoreV1Api(stack.kubesim.api_client())
    found = {i.metadata.name: i.metadata.uid for i in core.list_namespaced_config_map(namespace).items}
    apps: Any = kclient.AppsV1Api(stack.kubesim.api_client())
    found |= {
        f"deploy/{i.metadata.name}": i.metadata.uid for i in apps.list_namespaced_deployment(namespace).items
    }
    found.pop("kube-root-ca.crt", None)
    return found


@pytest.mark.reliability(
    case="F1 worker SIGKILLed mid multi-wave sync",
    done="3-wave app (PreSync hook ConfigMap, wave 0 ConfigMap, wave 1 Deployment held Progressing by paused "
    "kubesim controllers, wave 2 ConfigMap); SIGKILL the worker's process group while the operation waits in "
    "wave 1; start a second worker at once (it must restore the step in its periodic sweep); resume controllers after the visibility timeout (scaled down to 14 s)",
    checked="second worker finishes: Synced+Healthy, operation Succeeded; every object (hook included) keeps "
    "the uid it was first created with (never created twice); exactly one history entry",
)
def test_sigkill_mid_sync_another_worker_finishes(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("waves")
    repo.commit({
        "app/hook.yaml": configmap("pre-hook", "h", None, **{"argocd.argoproj.io/hook": "PreSync"}),
        "app/first.yaml": configmap("first", "1", wave=0),
        "app/middle.yaml": DEPLOYMENT,
        "app/last.yaml": configmap("last", "3", wave=2),
    })  # fmt: skip
    stack.env |= {"BOSUN_TASK_SOFT_TIME_LIMIT_SECONDS": "10", "BOSUN_TASK_TIME_LIMIT_SECONDS": "12",
                  "BOSUN_BROKER_VISIBILITY_TIMEOUT_SECONDS": "14"}  # fmt: skip
    admin = stack.kubesim.admin
    admin.pause_controllers()
    stack.application("waves", git_server.url("waves"), "app", "waves")
    first = stack.engine_worker("w1")
    stack.refresh("waves")
    wait_for(lambda: "deploy/middle" in uids(stack, "waves"), 90, f"wave 1 applied\n{first.text()[-3000:]}")
    seen = uids(stack, "waves")
    assert "last" not in seen and {"pre-hook", "first"} <= set(seen)
    assert (stack.status("waves").get("operationState") or {}).get("phase") == "Running"
    first.stop(signal.SIGKILL)
    # The step w1 held (unacknowledged) becomes visible again after the visibility timeout; w2, started
    # at once (before it), restores it in its periodic sweep (every ~2 s, workers.celery_app).
    second = stack.engine_worker("w2")
    time.sleep(15)
    admin.resume_controllers()
    wait_for(lambda: "last" in uids(stack, "waves"), 90, f"wave 2 applied by w2\n{second.text()[-3000:]}")
    wait_for(lambda: stack.synced_healthy("waves"), 60, "Synced and Healthy")
    status = stack.status("waves")
    assert status["operationState"]["phase"] == "Succeeded"
    assert len(status.get("history") or []) == 1
    final = uids(stack, "waves")
    for name, uid in seen.items():
        assert final.get(name) == uid, f"{name} was re-created"
    assert "sync_step" in second.text()
