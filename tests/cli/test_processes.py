"""`bosun flower`, `bosun beat` and the launchers' input checks, against a running stack.

Flower runs with basic auth from BOSUN_FLOWER_USER/PASSWORD: unauthenticated requests get 401; its
API lists the `bosun worker` and Bosun's tasks with readable names and app-name arguments, and
neither its answers nor its log show the broker URL, the Redis password or a token.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from controlplane.kube import kubectl

from .stack import FLOWER_PASSWORD, READ_TOKEN, REPO, WRITE_TOKEN, CliStack, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cli-processes")]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def create(stack: CliStack, tmp_path: Path, name: str, **annotations: str) -> None:
    doc = yaml.safe_load((FIXTURES / "guestbook-valid.yaml").read_text())
    doc["metadata"] = {"name": name, "annotations": annotations}
    done = stack.bosun("app", "create", "-f", "-", stdin=yaml.safe_dump(doc))
    assert done.returncode == 0, done.stderr


def poll(fetch: Any, accept: Any, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if accept(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value!r}"[:3000]
        time.sleep(0.3)


def secrets_of(stack: CliStack) -> list[str]:
    password = stack.redis_url.split(":")[2].split("@")[0]
    return [password, READ_TOKEN, WRITE_TOKEN, FLOWER_PASSWORD, stack.redis_url]


def test_flower_with_basic_auth_lists_workers_and_bosun_tasks(stack: CliStack, tmp_path: Path) -> None:
    port = free_port()
    flower = stack.start(["flower", "--port", str(port)], "flower")
    base = f"http://127.0.0.1:{port}"
    flower.wait_for(url=f"{base}/healthcheck")
    auth = ("ops", FLOWER_PASSWORD)

    assert httpx.get(f"{base}/api/workers").status_code == 401
    assert httpx.get(f"{base}/").status_code == 401
    assert httpx.get(f"{base}/healthcheck").text == "OK"  # open for probes, reveals nothing
    assert httpx.get(f"{base}/api/tasks", auth=("ops", "wrong")).status_code == 401
    assert httpx.get(f"{base}/", auth=("admin", FLOWER_PASSWORD)).status_code == 401

    workers = poll(
        lambda: httpx.get(f"{base}/api/workers?refresh=1", auth=auth, timeout=30),
        lambda r: r.status_code == 200 and any(n.startswith("cli-w1@") for n in r.json()),
        what="the worker in Flower",
    )
    name = next(n for n in workers.json() if n.startswith("cli-w1@"))
    registered = workers.json()[name].get("registered") or []
    assert {"bosun.refresh", "bosun.sync_step", "bosun.tick", "bosun.webhook_fanout"} <= set(registered)
    queues = {q["name"] for q in workers.json()[name].get("active_queues") or []}
    assert queues == {"refresh", "sync"}
    lengths = httpx.get(f"{base}/api/queues/length", auth=auth, timeout=30).json()["active_queues"]
    assert {q["name"] for q in lengths} == {"refresh", "sync"}
    assert all(isinstance(q["messages"], int) for q in lengths)

    # Tasks started while Flower listens show up by name, with the app name as their argument.
    create(stack, tmp_path, "flowerapp")
    assert stack.bosun("app", "sync", "flowerapp", "--timeout", "60").returncode == 0
    tasks = poll(
        lambda: httpx.get(f"{base}/api/tasks", auth=auth, timeout=30).json(),
        lambda t: {"bosun.refresh", "bosun.sync_step"} <= {v.get("name") for v in t.values()},
        what="Bosun's tasks in Flower",
    )
    mine = [t for t in tasks.values() if "flowerapp" in str(t.get("args"))]
    assert {t["name"] for t in mine} >= {"bosun.refresh", "bosun.sync_step"}
    assert all(t["args"] == "['flowerapp']" for t in mine)
    assert {t["state"] for t in mine} <= {"SUCCESS", "STARTED", "RECEIVED"}

    everything = workers.text + httpx.get(f"{base}/api/tasks", auth=auth).text
    everything += httpx.get(f"{base}/api/workers?refresh=1&status=1", auth=auth).text
    flower.stop()
    log = flower.text()
    for secret in secrets_of(stack):
        assert secret not in everything
        assert secret not in log
    assert "redis://" not in log
    assert f"serving on http://127.0.0.1:{port}/" in log


def test_flower_refuses_to_start_without_a_password(stack: CliStack) -> None:
    done = stack.bosun_process(
        "flower", "--port", str(free_port()), env={"BOSUN_FLOWER_PASSWORD": ""}, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "bosun: BOSUN_FLOWER_PASSWORD: refusing to start Flower without a password "
        "(set BOSUN_FLOWER_PASSWORD (and BOSUN_FLOWER_USER), or pass --no-auth explicitly)"
    )


def test_flower_no_auth_must_be_explicit(stack: CliStack) -> None:
    port = free_port()
    env = stack.env | {"BOSUN_FLOWER_PASSWORD": ""}
    flower = stack.start(["flower", "--port", str(port), "--no-auth"], "flower-open", env=env)
    try:
        flower.wait_for(url=f"http://127.0.0.1:{port}/healthcheck")
        assert httpx.get(f"http://127.0.0.1:{port}/api/workers", timeout=30).status_code == 200
        assert "running WITHOUT authentication" in flower.text()
    finally:
        flower.stop()


def test_launchers_refuse_bad_options(stack: CliStack, tmp_path: Path) -> None:
    done = stack.bosun_process("worker", "--queues", "refresh,bogus")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "bosun: bosun worker --queues: unknown queue(s) bogus (use a comma-separated subset of: refresh, sync)"
    )
    blocked = tmp_path / "file"
    blocked.write_text("")
    beat = stack.bosun_process("beat", "--schedule-file", str(blocked / "beat-schedule"))
    assert beat.returncode == 1 and "cannot create the directory of the beat schedule file" in beat.stderr
    assert "Traceback" not in done.stderr + beat.stderr


def test_beat_refreshes_apps_when_due(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "ticked", **{"bosun.dev/refresh-interval": "1s"})

    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)

    def refreshes() -> int:
        """Refreshes the probe reconciler ran (events do not count them: an unchanged refresh
        records none)."""
        return int(client.get(f"{stack.prefix}:probe:calls:refresh:ticked") or 0)

    poll(refreshes, lambda n: n >= 1, what="the refresh queued by create")
    before = refreshes()
    beat = stack.start(["beat", "--schedule-file", str(tmp_path / "beat" / "schedule")], "beat",
                       env=stack.env | {"BOSUN_TICK_SECONDS": "0.5"})  # fmt: skip
    try:
        beat.wait_for(ready="beat: Starting")
        poll(refreshes, lambda n: n >= before + 2, what="beat-driven refreshes")
    finally:
        beat.stop()
    assert "redis://" not in beat.text().replace("redis://:**@", "")


def test_shipped_flower_deployments_keep_basic_auth_on(stack: CliStack) -> None:
    """deploy/flower.yaml applies to a cluster (kubesim, real kubectl) and, like docker-compose.yml,
    runs `bosun flower` with its password from a secret, never with --no-auth."""
    manifest = REPO / "deploy" / "flower.yaml"
    kubeconfig = Path(stack.env["BOSUN_KUBECONFIG"])
    applied = kubectl(kubeconfig, "apply", "-f", str(manifest))
    assert "deployment.apps/bosun-flower created" in applied.stdout
    assert "service/bosun-flower created" in applied.stdout
    live = json.loads(
        kubectl(kubeconfig, "-n", "bosun", "get", "deployment", "bosun-flower", "-o", "json").stdout
    )
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["bosun", "flower"] and "--no-auth" not in container["command"]
    env = {e["name"]: e for e in container["env"]}
    assert env["BOSUN_FLOWER_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "bosun-secrets",
        "key": "flower-password",
    }
    assert "value" not in env["BOSUN_REDIS_URL"]

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["flower"]
    assert compose["command"][:2] == ["bosun", "flower"] and "--no-auth" not in compose["command"]
    assert compose["environment"]["BOSUN_FLOWER_PASSWORD"].startswith("${BOSUN_FLOWER_PASSWORD:?")
