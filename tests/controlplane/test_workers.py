"""Bosun's Celery app and tasks with real worker subprocesses, a real redis-server and kubesim."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml

from gitops.coordination import EventLog, RefreshRequests
from gitops.keys import Keys
from gitops.registry import ApplicationRegistry, durable_fence
from gitops.settings import Settings
from workers.celery_app import celery_config, make_celery
from workers.enqueue import request_refresh

from .kube import APPS, install_crds
from .servers import api_server
from .workers_proc import CeleryProcess, bosun_env, start_worker

pytestmark = pytest.mark.slow


def wait_until(predicate: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_celery_config_is_json_late_ack_bounded() -> None:
    settings = Settings(redis_url="redis://:pw@127.0.0.1:6390/0", redis_prefix="px")
    conf = celery_config(settings)
    assert conf["task_serializer"] == "json" and conf["accept_content"] == ["json"]
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    assert (
        conf["task_soft_time_limit"]
        < conf["task_time_limit"]
        < conf["broker_transport_options"]["visibility_timeout"]
    )
    assert conf["broker_transport_options"]["global_keyprefix"] == "px:celery:"
    transport = conf["broker_transport_options"]
    assert transport["unacked_restore_interval"] * transport["unacked_restore_throttle"] <= 5
    assert Settings().broker_visibility_timeout_seconds > Settings().task_time_limit_seconds
    assert conf["task_routes"]["bosun.sync_step"] == {"queue": "sync"}
    assert conf["task_routes"]["bosun.refresh"] == {"queue": "refresh"}
    assert conf["broker_use_ssl"] is None
    tls = celery_config(Settings(redis_url="rediss://:pw@redis.example:6380/0", redis_ca_file="/etc/ca.pem"))
    assert tls["broker_use_ssl"]["ssl_ca_certs"] == "/etc/ca.pem"
    assert "beat_schedule" in conf and conf["beat_schedule"]["bosun-tick"]["task"] == "bosun.tick"


class Stack:
    """kubesim with CRDs, a redis-server, Bosun settings, and worker subprocesses started on demand."""

    def __init__(
        self, kubesim: Any, settings: Settings, redis_url: str, tmp: Path, argo_shape: bool = False
    ) -> None:
        install_crds(kubesim.kubeconfig, argo_shape=argo_shape)
        self.kubesim = kubesim
        self.settings = settings.model_copy(update={"namespace": "bosun"})
        self.registry = ApplicationRegistry(kubesim.api_client(), "bosun")
        self.keys = Keys(settings.redis_prefix)
        self.env = bosun_env(redis_url, settings.redis_prefix, kubesim.kubeconfig)
        self.tmp = tmp
        self.celery = make_celery(self.settings)
        self.processes: list[CeleryProcess] = []

    def worker(self, name: str, concurrency: int = 2) -> CeleryProcess:
        proc = start_worker(self.env, self.tmp / f"{name}.log", name, concurrency)
        self.processes.append(proc)
        return proc

    def app(self, name: str, *, operation: bool = False, **annotations: str) -> None:
        doc = yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text())
        doc = copy.deepcopy(doc)
        doc["metadata"] = {"name": name, "annotations": annotations}
        if operation:
            doc["operation"] = {"sync": {"prune": False}, "initiatedBy": {"username": "test"}}
        self.registry.create(doc)

    def probe(self, client: redis.Redis, *parts: str) -> int:
        return int(client.get(":".join((self.settings.redis_prefix, "probe", *parts))) or 0)

    def max_inside(self, client: redis.Redis, app: str) -> int:
        values = client.lrange(":".join((self.settings.redis_prefix, "probe", "max", app)), 0, -1)
        return max((int(v) for v in values), default=0)

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    yield built
    built.stop()


def test_refresh_task_saves_status_hot_and_durable(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("guestbook")
    stack.worker("w1")
    refreshes = RefreshRequests(rclient, stack.keys)
    assert request_refresh(stack.celery, refreshes, "guestbook")

    def refreshed() -> dict[str, Any] | None:
        app = stack.registry.application("guestbook")
        return app if app and (app.get("status") or {}).get("sync") else None

    app = wait_until(refreshed, what="status on the Application")
    with api_server(stack.settings, stack.registry) as url:
        metrics = httpx.get(f"{url}/metrics", timeout=60).text
    assert 'bosun_app_info{health_status="Healthy",name="guestbook",sync_status="Synced"} 1.0' in metrics
    assert "bosun_reconcile_duration_seconds_count 1.0" in metrics
    assert app["status"]["sync"] == {"status": "Synced", "revision": "f" * 40}
    assert durable_fence(app) >= 1
    hot = rclient.hget(stack.keys.app_status("guestbook"), "doc")
    assert hot is not None and '"Synced"' in hot
    events = wait_until(lambda: EventLog(rclient, stack.keys).recent("guestbook"), what="refresh event")
    assert events and events[0].kind == "refreshed" and events[0].by.startswith("worker w1@")
    assert refreshes.pending("guestbook") is None


def test_triggers_coalesce_while_a_refresh_runs(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("slow", **{"probe/sleep": "1.5"})
    stack.worker("w1")
    refreshes = RefreshRequests(rclient, stack.keys)
    assert request_refresh(stack.celery, refreshes, "slow")
    wait_until(lambda: stack.probe(rclient, "inside", "slow") == 1, what="refresh running")
    queued = [request_refresh(stack.celery, refreshes, "slow") for _ in range(25)]
    assert queued.count(True) == 1  # one more refresh queued for all 25 triggers
    wait_until(
        lambda: stack.probe(rclient, "calls", "refresh", "slow") == 2, timeout=30, what="second refresh"
    )
    time.sleep(2.0)
    assert stack.probe(rclient, "calls", "refresh", "slow") == 2


def test_two_workers_racing_for_one_app_exactly_one_steps(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("contested", operation=True, **{"probe/sleep": "2", "probe/steps": "1"})
    stack.worker("w1", concurrency=1)
    stack.worker("w2", concurrency=1)
    # Two deliveries of the same step at once (as after a redelivery), bypassing the coalescing marker.
    stack.celery.send_task("bosun.sync_step", args=["contested"])
    stack.celery.send_task("bosun.sync_step", args=["contested"])
    wait_until(lambda: stack.probe(rclient, "calls", "step", "contested") >= 1, what="a step")
    time.sleep(3.5)
    assert stack.probe(rclient, "calls", "step", "contested") == 1
    assert stack.max_inside(rclient, "contested") == 1
    app = stack.registry.application("contested")
    assert app is not None and app["status"]["operationState"]["phase"] == "Succeeded"
    assert "operation" not in app or app["operation"] is None
    logs = "".join(p.text() for p in stack.processes)
    assert "'busy'" in logs  # the loser returned at once
    with api_server(stack.settings, stack.registry) as url:
        metrics = httpx.get(f"{url}/metrics", timeout=60).text
    assert 'bosun_lock_contention_total{task="sync_step"}' in metrics
    assert 'bosun_syncs_total{phase="Succeeded"} 1.0' in metrics


@pytest.fixture
def argo_crd_stack(
    kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path
) -> Iterator[Stack]:
    """The stack over Argo CD's Application CRD shape (no status subresource)."""
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path, argo_shape=True)
    yield built
    built.stop()


@pytest.mark.parametrize("crd", ["stack", "argo_crd_stack"])
def test_sync_steps_chain_until_done_then_refresh(
    crd: str, request: pytest.FixtureRequest, rclient: redis.Redis
) -> None:
    stack: Stack = request.getfixturevalue(crd)
    stack.app("stepper", **{"probe/steps": "3", "probe/start-sync": "true"})
    stack.env["BOSUN_SYNC_STEP_COUNTDOWN_SECONDS"] = "0.2"
    stack.worker("w1")
    assert request_refresh(stack.celery, RefreshRequests(rclient, stack.keys), "stepper")

    def phase() -> str | None:
        app = stack.registry.application("stepper")
        return (((app or {}).get("status") or {}).get("operationState") or {}).get("phase")

    wait_until(lambda: phase() == "Succeeded", what="operation Succeeded")
    assert stack.probe(rclient, "calls", "step", "stepper") == 3
    app = stack.registry.application("stepper")
    assert app is not None and not app.get("operation")

    def kinds() -> list[str]:
        return [e.kind for e in EventLog(rclient, stack.keys).recent("stepper")]

    wait_until(lambda: kinds().count("sync-step") == 3, what="three sync-step events")
    assert "auto-sync" in kinds() and kinds().index("auto-sync") > kinds().index("sync-step")
    wait_until(
        lambda: stack.probe(rclient, "calls", "refresh", "stepper") >= 2, what="refresh after the sync"
    )


def test_an_operation_whose_first_step_keeps_failing_ends_at_the_timeout(
    stack: Stack, rclient: redis.Redis
) -> None:
    stack.app("broken", operation=True, **{"probe/step-raises": "true"})
    stack.env |= {"BOSUN_SYNC_TIMEOUT_SECONDS": "2", "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.2"}
    stack.worker("w1")
    stack.celery.send_task("bosun.sync_step", args=["broken"])

    def ended() -> dict[str, Any] | None:
        app = stack.registry.application("broken") or {}
        state = (app.get("status") or {}).get("operationState") or {}
        return app if state.get("phase") == "Failed" else None

    app = wait_until(ended, what="the never-started operation Failed at its timeout")
    state = app["status"]["operationState"]
    assert "timed out after 2s" in state["message"] and "RuntimeError" in state["message"]
    assert state["operation"]["initiatedBy"] == {"username": "test"} and state["startedAt"]
    assert not app.get("operation")
    assert stack.probe(rclient, "calls", "step", "broken") >= 2  # it was retried until the timeout
    assert rclient.get(stack.keys.sync_unstarted_since("broken")) is None


def test_refresh_of_deleted_app_is_gone(stack: Stack, rclient: redis.Redis) -> None:
    stack.worker("w1")
    stack.celery.send_task("bosun.refresh", args=["never-existed"])
    wait_until(lambda: "'gone'" in stack.processes[0].text(), what="gone")
