# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 3: Redis restarted under load, without persistence and with AOF."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from controlplane.servers import free_port

from gitops.settings import Settings

from .stack import EngineStack, wait_for

pytestmark = pytest.mark.slow
PASSWORD = "restart-redis-pw"


class RestartableRedis:
    """A redis-server on a fixed loopback port that can be killed and started again (same port, same dir)."""

    def __init__(self, workdir: Path, aof: bool) -> None:
        self.port, self.workdir, self.aof = free_port(), workdir, aof
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--requirepass", PASSWORD, "--save", "",
             *persistence, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, password=PASSWORD)
        wait_for(lambda: _ping(client), 10, "redis up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def build(kubesim: Any, tmp: Path, aof: bool) -> tuple[EngineStack, RestartableRedis, redis.Redis]:
    (tmp / "redis").mkdir()
    server = RestartableRedis(tmp / "redis", aof)
    settings = Settings(redis_url=server.url, redis_prefix="restart")  # type: ignore[arg-type]
    stack = EngineStack(kubesim, settings, server.url, tmp)
    return stack, server, redis.Redis(port=server.port, password=PASSWORD, decode_responses=True)


APPS = [f"app-{i}" for i in range(4)]


@pytest.mark.reliability(
    case="F3a Redis restarted without persistence during load",
    done="4 apps refreshed by a worker (probe reconciler, 0.3 s each); SIGKILL redis-server while refreshes run; "
    "start an empty redis-server on the same port; request a refresh of every app",
    checked="the worker reconnects and keeps consuming (every app refreshed again by the same process); each "
    "app's status is still on its Application resource and its hot status is rebuilt by the next refresh",
)
def test_redis_restart_without_persistence(kubesim_server: Any, tmp_path: Path) -> None:
    stack, server, client = build(kubesim_server, tmp_path, aof=False)
    try:
        for name in APPS:
            stack.app(name, **{"probe/sleep": "0.3"})
        worker = stack.worker("w1")
        for name in APPS:
            stack.refresh(name)
        wait_for(lambda: stack.probe(client, "calls", "refresh", APPS[0]) >= 1, 30, "load running")
        server.kill()
        time.sleep(1.0)
        server.start()
        assert client.dbsize() == 0
        for name in APPS:
            assert (stack.status(name).get("sync") or {}).get("status") in ("Synced", None)
        wait_for(lambda: _requeue_all(stack), 30, "refreshes requested after the restart")
        for name in APPS:
            wait_for(lambda n=name: stack.probe(client, "calls", "refresh", n) >= 1, 60,  # type: ignore[misc]
                     f"{name} refreshed after restart\n{worker.text()[-2000:]}")  # fmt: skip
            wait_for(lambda n=name: client.hget(stack.keys.app_status(n), "doc"), 30, f"{name} hot status")  # type: ignore[misc]
            wait_for(lambda n=name: stack.sync_status(n) == "Synced", 30, f"{name} durable status")  # type: ignore[misc]
        assert worker.proc.poll() is None
    finally:
        stack.stop()
        server.stop()


def _requeue_all(stack: EngineStack) -> bool:
    try:
        for name in APPS:
            stack.refresh(name)
    except redis.ConnectionError:
        return False
    return True


@pytest.mark.reliability(
    case="F3b Redis restarted with AOF (appendfsync always)",
    done="4 refreshes and 4 sync steps queued while no worker runs; SIGKILL "
    "redis-server; restart it from its AOF; start a worker",
    checked="no queued work is lost: each app is refreshed exactly once and each queued step ran",
)
def test_redis_restart_with_aof_keeps_queued_work(kubesim_server: Any, tmp_path: Path) -> None:
    stack, server, client = build(kubesim_server, tmp_path, aof=True)
    try:
        for name in APPS:
            stack.app(name, operation=True)
        for name in APPS:
            stack.refresh(name)
            stack.celery.send_task("bosun.sync_step", args=[name])
        server.kill()
        server.start()
        worker = stack.worker("w1")
        for name in APPS:
            wait_for(lambda n=name: stack.probe(client, "calls", "step", n) == 1, 60,  # type: ignore[misc]
                     f"{name} step after restart\n{worker.text()[-2000:]}")  # fmt: skip
            wait_for(lambda n=name: stack.probe(client, "calls", "refresh", n) >= 1, 60, f"{name} refresh")  # type: ignore[misc]
        time.sleep(1.0)
        assert all(stack.probe(client, "calls", "step", n) == 1 for n in APPS)
    finally:
        stack.stop()
        server.stop()
