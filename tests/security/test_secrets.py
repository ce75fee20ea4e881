# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Secrets never escape: marker secrets planted in repo URL credentials, BOSUN_GIT_CREDENTIALS, a
repository Secret, a cluster Secret, webhook secrets and API tokens are searched for in every output
of a running stack (worker and API logs at DEBUG, Flower, API answers, metrics, Application status,
Kubernetes events, every Redis key including the Celery messages)."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import time
import zlib
from typing import Any

import httpx
import pytest
import redis
from controlplane.kube import kubectl
from controlplane.servers import free_port
from controlplane.webhook_requests import sign
from faults.stack import ApiProcess, EngineStack, configmap, wait_for
from kubernetes import client as kclient

from gitops.clusters.secrets import cluster_secret

pytestmark = pytest.mark.slow
MARKERS = {
    "url-password": "urlpwMARKa1",
    "settings-token": "settokMARKb2",
    "repository-secret": "repopwMARKc3",
    "cluster-token": "clustokMARKd4",
    "webhook-secret": "hooksecMARKe5",
    "api-read": "apireadMARKf6",
    "api-write": "apiwriteMARKg7",
    "wrong-password": "wrongpwMARKh8",
    "flower-password": "flowerpwMARKi9",
}


def _text(value: Any) -> str:
    """A value as text; zlib bodies (the manifest cache: magic, MAC, then zlib) are inflated too."""
    if isinstance(value, bytes):
        parts = [value.decode(errors="replace")]
        for start in (0, 36):
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(value[start:]).decode(errors="replace"))
        return "\n".join(parts)
    return str(value)


def redis_dump(client: Any, prefix: str) -> str:
    """Every value under the prefix (binary-safe), Celery message bodies base64-decoded too."""
    pool = client.connection_pool  # the same connection class (TLS or not), bytes instead of str
    raw: Any = redis.Redis(connection_pool=pool.__class__(
        connection_class=pool.connection_class, **{**pool.connection_kwargs, "decode_responses": False}))  # fmt: skip
    out: list[str] = []
    for key in raw.scan_iter(f"{prefix}:*".encode()):
        kind = raw.type(key).decode()
        values: list[Any] = []
        if kind == "string":
            values = [raw.get(key) or b""]
        elif kind == "hash":
            values = [k + b"=" + v for k, v in raw.hgetall(key).items()]
        elif kind == "list":
            values = list(raw.lrange(key, 0, -1))
        elif kind == "set":
            values = list(raw.smembers(key))
        elif kind == "zset":
            values = list(raw.zrange(key, 0, -1))
        elif kind == "stream":
            values = [b" ".join(k + b"=" + v for k, v in fields.items()) for _id, fields in raw.xrange(key)]
        out.append(key.decode(errors="replace"))
        for value in values:
            text = _text(value)
            out.append(text)
            for blob in text.split('"body": "')[1:]:
                with contextlib.suppress(ValueError):
                    out.append(base64.b64decode(blob.split('"')[0], validate=True).decode(errors="replace"))
    raw.close()
    return "\n".join(out)


def has_condition(stack: EngineStack, name: str, kind: str) -> bool:
    return any(c.get("type") == kind for c in stack.conditions(name))


def flower(env: dict[str, str], tmp: Any) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (tmp / "flower.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bosun.cli import main; raise SystemExit(main())", "flower",
         "--port", str(port)],
        env={**env, "BOSUN_FLOWER_PASSWORD": MARKERS["flower-password"]}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    return proc, port


@pytest.mark.reliability(
    case="S1 marker secrets never appear in any output",
    done="plant markers in: repoURL userinfo, BOSUN_GIT_CREDENTIALS token, a repository Secret, a cluster "
    "Secret bearer token (remote kubesim requiring it), webhook secret, API read/write tokens, a wrong URL "
    "password (auth failure path), Flower password; run worker (-l DEBUG), `bosun server` (DEBUG) and "
    "`bosun flower`; deploy 3 apps, fail 1, post signed and badly signed webhooks",
    checked="no marker in worker/API/Flower logs, Flower API (tasks, workers), API answers (list, get, history, "
    "events, clusters), /metrics, Application resources (status, conditions), Kubernetes Events, any Redis key "
    "or Celery message; the failing app's error names the repo without credentials",
)
def test_marker_secrets_never_leak(
    stack: EngineStack, git_server: Any, kubesim_factory: Any, rclient: Any
) -> None:
    git_server.password = MARKERS["url-password"]
    git_server.token = MARKERS["settings-token"]
    for name in ("url-creds", "settings-creds", "refused"):
        git_server.create_repo(name, private=True).commit({"app/cm.yaml": configmap(name, "v1")})
    git_server.create_repo("remote-app").commit({"app/cm.yaml": configmap("remote", "v1")})
    remote = kubesim_factory(token=MARKERS["cluster-token"])
    core: Any = kclient.CoreV1Api(stack.kubesim.api_client())
    core.create_namespaced_secret("bosun", cluster_secret(
        "remote", remote.url, {"bearerToken": MARKERS["cluster-token"], "tlsClientConfig": {"insecure": True}},
        namespace="bosun"))  # fmt: skip
    core.create_namespaced_secret("bosun", {
        "metadata": {"name": "repo-private", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {"url": git_server.url("url-creds"), "username": "alice",
                       "password": MARKERS["repository-secret"]},
    })  # fmt: skip
    settings_url = git_server.url("settings-creds")
    stack.env["BOSUN_GIT_CREDENTIALS"] = json.dumps(
        [{"kind": "repository", "url": settings_url, "password": MARKERS["settings-token"]}]
    )
    stack.env |= {"BOSUN_WEBHOOK_GITHUB_SECRET": MARKERS["webhook-secret"], "BOSUN_LOG_LEVEL": "DEBUG",
                  "BOSUN_API_READ_TOKEN": MARKERS["api-read"], "BOSUN_API_WRITE_TOKEN": MARKERS["api-write"],
                  "BOSUN_TASK_EVENTS": "true"}  # fmt: skip
    # task events on, as wherever Flower runs (docker-compose): Flower sees every task, none missed
    flower_proc, flower_port = flower(stack.env, stack.tmp)
    try:
        stack.application("url-creds", git_server.url("url-creds", auth="basic"), "app", "url-creds")
        stack.application("settings-creds", settings_url, "app", "settings-creds")
        stack.application("remote-app", git_server.url("remote-app"), "app", "remote-app", server=remote.url)
        bad = git_server.url("refused", auth="basic").replace(
            MARKERS["url-password"], MARKERS["wrong-password"]
        )
        stack.application("bad-creds", bad, "app", "bad-creds")
        stack.engine_worker("w1", level="DEBUG")
        api = ApiProcess(stack.env | {"BOSUN_LOG_LEVEL": "DEBUG"}, stack.tmp / "api.log")
        try:
            for name in ("url-creds", "settings-creds", "remote-app", "bad-creds"):
                stack.refresh(name)
            # url-creds: the URL's password wins over its repository Secret's (a marker, refused)
            for name in ("settings-creds", "remote-app", "url-creds"):
                wait_for(lambda n=name: stack.synced_healthy(n), 120, f"{name} synced")  # type: ignore[misc]
            for name, repo in (("bad-creds", "refused.git"),):
                wait_for(lambda n=name: has_condition(stack, n, "ComparisonError"), 60, f"{name} error")  # type: ignore[misc]
                error = next(c for c in stack.conditions(name) if c["type"] == "ComparisonError")["message"]
                assert repo in error and "@" not in error
            outputs = collect(stack, api, flower_port, rclient)
        finally:
            api.stop()
    finally:
        flower_proc.terminate()
        flower_proc.wait(timeout=10)
    outputs["flower log"] = (stack.tmp / "flower.log").read_text(errors="replace")
    outputs["worker log"] = stack.logs()
    assert "DEBUG" in outputs["worker log"]
    leaks = [
        (what, marker) for what, text in outputs.items() for marker in MARKERS.values() if marker in text
    ]
    assert leaks == [], f"secrets leaked: {leaks}"


def collect(stack: EngineStack, api: ApiProcess, flower_port: int, rclient: Any) -> dict[str, str]:
    read = {"Authorization": f"Bearer {MARKERS['api-read']}"}
    body = json.dumps({"ref": "refs/heads/main", "repository": {"clone_url": "http://x/y.git"}}).encode()
    hook = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d1", "Content-Type": "application/json"}
    out: dict[str, str] = {}
    good = httpx.post(f"{api.url}/api/webhook", content=body,
                      headers=hook | {"X-Hub-Signature-256": "sha256=" + sign(MARKERS["webhook-secret"], body)})  # fmt: skip
    badsig = httpx.post(f"{api.url}/api/webhook", content=body,
                        headers=hook | {"X-GitHub-Delivery": "d2", "X-Hub-Signature-256": "sha256=00"})  # fmt: skip
    assert good.status_code < 300 and badsig.status_code == 401
    out["webhook answers"] = good.text + badsig.text
    for path in ("/api/v1/applications", "/api/v1/clusters", "/metrics", "/api/v1/applications/bad-creds",
                 "/api/v1/applications/url-creds/history", "/api/v1/applications/bad-creds/events",
                 "/api/v1/applications/remote-app"):  # fmt: skip
        out[f"API {path}"] = httpx.get(f"{api.url}{path}", headers=read, timeout=60).text
    out["API 401"] = httpx.get(
        f"{api.url}/api/v1/applications", headers={"Authorization": "Bearer nope"}
    ).text
    time.sleep(1.0)
    out["API log"] = api.text()
    auth = ("admin", MARKERS["flower-password"])
    for path in ("/api/workers", "/api/tasks"):
        out[f"Flower {path}"] = httpx.get(f"http://127.0.0.1:{flower_port}{path}", auth=auth, timeout=20).text
    assert "bosun.refresh" in out["Flower /api/tasks"]
    # What Bosun wrote on the Application resources (their spec is the user's own input, kept as given).
    out["application status"] = json.dumps([a.get("status") for a in stack.registry.applications()])
    out["events"] = kubectl(stack.kubesim.kubeconfig, "get", "events", "-A", "-o", "yaml").stdout
    out["redis"] = redis_dump(rclient, stack.settings.redis_prefix)
    assert "bosun.refresh" in out["redis"] or "url-creds" in out["redis"]
    return out
