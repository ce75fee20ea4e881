"""Redis over TLS end to end: a private redis-server serving only TLS (`--port 0`, a throwaway CA),
Bosun's coordination (locks, refresh markers, hot status) and the API's /metrics through
`redis_client` with `BOSUN_REDIS_CA_FILE`, a real Celery worker process consuming a refresh over the
TLS broker, and the failure paths: a wrong CA gives a Bosun error naming the URL without its
password and the fix; the password appears in no error, log or worker output."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from controlplane.servers import api_server
from controlplane.test_workers import Stack
from controlplane.workers_proc import CeleryProcess, bosun_env, start_beat
from faults.stack import EngineStack, configmap
from redis.backoff import NoBackoff
from redis.retry import Retry

from gitops.coordination import AppLocks, HotStatus, RefreshRequests, redis_client
from gitops.coordination.connection import RedisTLSError
from gitops.errors import ConfigError
from gitops.keys import Keys
from gitops.settings import Settings
from workers.celery_app import make_celery
from workers.enqueue import request_refresh

from .tls_redis import TLSRedis, start_tls_redis

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSRedis]:
    server = start_tls_redis(tmp_path_factory.mktemp("tls-redis"), "tlspwMARK" + secrets.token_hex(8))
    yield server
    server.stop()


@pytest.fixture
def tls_settings(tls_redis: TLSRedis) -> Settings:
    prefix = "t" + secrets.token_hex(5)
    return Settings(redis_url=tls_redis.url, redis_ca_file=str(tls_redis.ca_file), redis_prefix=prefix)  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def test_server_refuses_plain_connections(tls_redis: TLSRedis) -> None:
    """The server under test really is TLS-only: whatever passes below went over TLS."""
    with pytest.raises(redis.ConnectionError):
        redis.Redis(
            port=tls_redis.port, password=tls_redis.password, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        ).ping()


def test_coordination_over_tls(tls_settings: Settings) -> None:
    client = redis_client(tls_settings)
    pool = client.connection_pool
    assert issubclass(pool.connection_class, redis.SSLConnection)
    assert pool.connection_kwargs["ssl_ca_certs"] == tls_settings.redis_ca_file
    keys = Keys(tls_settings.redis_prefix)
    locks = AppLocks(client, keys, 30)
    lease = locks.acquire("guestbook")
    assert lease is not None and locks.acquire("guestbook") is None
    hot = HotStatus(client, keys)
    hot.write(lease, {"sync": {"status": "Synced"}})
    assert (hot.read("guestbook") or {})["sync"] == {"status": "Synced"}
    assert locks.release(lease)
    refreshes = RefreshRequests(client, keys)
    assert refreshes.request("guestbook") and not refreshes.request("guestbook")
    assert refreshes.take("guestbook") is not None and refreshes.pending("guestbook") is None
    binary = redis_client(tls_settings, decode_responses=False)
    binary.set(f"{tls_settings.redis_prefix}:bytes", b"\xff\x00")
    assert binary.get(f"{tls_settings.redis_prefix}:bytes") == b"\xff\x00"


@pytest.mark.reliability(
    case="T1 Redis over TLS: coordination, API and a Celery worker",
    done="redis-server with TLS only (--port 0, throwaway CA, password); BOSUN_REDIS_URL rediss://, "
    "BOSUN_REDIS_CA_FILE the CA; app locks, refresh markers and hot status through redis_client; "
    "/metrics of the API; a real worker process (probe reconciler) consuming a refresh sent over TLS, "
    "and a beat whose ticks reach it",
    checked="every operation succeeds over TLS only; the refresh completes (status on the Application, "
    "hot status in Redis, marker gone, app on /metrics); the beat's tick refreshes a due app; the password "
    "is in no worker or beat log line",
)
def test_celery_worker_refreshes_over_tls(
    kubesim_server: Any, tls_redis: TLSRedis, tls_settings: Settings, tmp_path: Path
) -> None:
    stack = Stack(kubesim_server, tls_settings, tls_redis.url, tmp_path)
    stack.env |= {"BOSUN_REDIS_CA_FILE": str(tls_redis.ca_file), "BOSUN_TICK_SECONDS": "0.3",
                  "BOSUN_REFRESH_JITTER_SECONDS": "0"}  # fmt: skip
    try:
        stack.app("guestbook")
        worker = stack.worker("w1", concurrency=1)
        client = redis_client(tls_settings)
        refreshes = RefreshRequests(client, stack.keys)
        celery = make_celery(stack.settings)
        assert request_refresh(celery, refreshes, "guestbook")

        def refreshed() -> dict[str, Any] | None:
            app = stack.registry.application("guestbook")
            return app if app and (app.get("status") or {}).get("sync") else None

        app = wait_until(refreshed, what="the refresh over the TLS broker")
        assert app["status"]["sync"]["status"] == "Synced"
        assert stack.probe(client, "calls", "refresh", "guestbook") == 1
        assert (HotStatus(client, stack.keys).read("guestbook") or {}).get("sync")
        assert refreshes.pending("guestbook") is None
        with api_server(stack.settings, stack.registry) as url:
            metrics = httpx.get(f"{url}/metrics", timeout=60).text
        assert 'name="guestbook",sync_status="Synced"' in metrics
        # The beat's ticks go through the TLS broker too, and the worker's tick queues the due app.
        stack.app("ticked", **{"bosun.dev/refresh-interval": "2s"})
        (tmp_path / "beat").mkdir()
        beat = start_beat(stack.env, tmp_path / "beat" / "beat.log", tmp_path / "beat")
        stack.processes.append(beat)
        wait_until(
            lambda: stack.probe(client, "calls", "refresh", "ticked") >= 1, what="a refresh from the beat"
        )
        log = worker.text()
        assert f"Connected to rediss://:**@127.0.0.1:{tls_redis.port}/0" in log, log[-2000:]
        assert tls_redis.password not in log and tls_redis.password not in beat.text()
    finally:
        stack.stop()


@pytest.mark.reliability(
    case="T2 Redis over TLS with a CA that did not sign the server's certificate",
    done="redis_client with BOSUN_REDIS_CA_FILE naming another CA, then with none (system trust store); "
    "a worker process (-l DEBUG) started with the wrong CA",
    checked="RedisTLSError (a ConfigError and a redis.ConnectionError) naming rediss://host:port/db without "
    "the password, the CA file checked and how to fix it; the worker never becomes ready and logs the "
    "verification failure; the password is in no error, captured log or worker log",
)
def test_wrong_ca_is_a_bosun_error_without_the_password(
    tls_redis: TLSRedis, tls_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = tls_settings.model_copy(update={"redis_ca_file": str(tls_redis.wrong_ca_file)})
    with pytest.raises(RedisTLSError) as caught:
        redis_client(wrong).ping()
    error = caught.value
    assert isinstance(error, ConfigError) and isinstance(error, redis.ConnectionError)
    text = str(error)
    assert f"Redis rediss://127.0.0.1:{tls_redis.port}/0" in text
    assert "not trusted" in text and f"BOSUN_REDIS_CA_FILE={tls_redis.wrong_ca_file}" in text
    assert "set BOSUN_REDIS_CA_FILE to the PEM bundle of the CA" in (error.hint or "")
    assert tls_redis.password not in text and tls_redis.password not in repr(error)
    assert tls_redis.password not in caplog.text
    # Without a CA file the system trust store is used, and says so.
    system = tls_settings.model_copy(update={"redis_ca_file": None})
    with pytest.raises(RedisTLSError, match="checked against the system trust store"):
        redis_client(system).ping()


def test_worker_with_wrong_ca_reports_without_the_password(
    tls_redis: TLSRedis, tls_settings: Settings, tmp_path: Path
) -> None:
    """A worker whose CA file does not match never connects; its log says why, without the password."""
    env = bosun_env(
        tls_redis.url, tls_settings.redis_prefix, None, redis_ca_file=str(tls_redis.wrong_ca_file)
    )
    worker = CeleryProcess(
        ["-A", "workers.celery_app", "worker", "-Q", "refresh", "-c", "1", "-n", "wrongca@%h",
         "--without-mingle", "--without-gossip", "-l", "DEBUG"],
        env, tmp_path / "wrong-ca.log",
    )  # fmt: skip
    try:
        worker.wait_for("CERTIFICATE_VERIFY_FAILED", timeout=60)
        log = worker.text()
        assert f"127.0.0.1:{tls_redis.port}" in log
        assert "ready." not in log
        assert tls_redis.password not in log
    finally:
        worker.stop()


@pytest.mark.reliability(
    case="T3 the real engine over TLS Redis",
    done="a worker process on Bosun's own Celery app (render, manifest cache, sync) with a TLS-only Redis "
    "and BOSUN_REDIS_CA_FILE; one automated app from a git repository",
    checked="the app is Synced+Healthy and its ConfigMap is in the cluster; the password is not in the log",
)
def test_engine_worker_deploys_over_tls(
    kubesim_server: Any, tls_redis: TLSRedis, tls_settings: Settings, tmp_path: Path, git_server: Any
) -> None:
    """The real engine (render, cache, sync) in a worker process whose Redis is TLS-only. Checked to pass
    with engine.py's binary client built by `redis_client(settings, decode_responses=False)`."""
    git_server.create_repo("apps").commit({"app/cm.yaml": configmap("over-tls", "v1")})
    stack = EngineStack(kubesim_server, tls_settings, tls_redis.url, tmp_path)
    stack.env["BOSUN_REDIS_CA_FILE"] = str(tls_redis.ca_file)
    try:
        stack.application("tls-app", git_server.url("apps"), "app", "tls-ns")
        worker = stack.engine_worker("engine")
        assert stack.refresh("tls-app")
        outcome = wait_until(
            lambda: (
                ("ok" if stack.synced_healthy("tls-app") else None)
                or ("failed" if "Traceback" in worker.text() or stack.conditions("tls-app") else None)
            ),
            what="the engine's refresh and sync over TLS",
        )
        assert outcome == "ok", worker.text()[-3000:]
        assert stack.configmap_value("over-tls", "tls-ns") == "v1"
        assert tls_redis.password not in worker.text()
    finally:
        stack.stop()
