"""The whole path with Bosun's own Celery app and engine reconciler in a worker subprocess: a git repo
on loopback, a management kubesim holding Applications and cluster Secrets, and three destination
kubesims (dev, staging, prod). The same app deploys to all three; an app waits for its dependency;
with prod stopped, a new commit still reaches dev and staging while prod's app turns Unknown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from controlplane.conftest import prefix, rclient, redis_server, settings  # noqa: F401  (fixtures)
from controlplane.kube import REPO
from controlplane.test_workers import Stack, wait_until
from controlplane.workers_proc import start_worker
from kubernetes import client as kclient

from gitops.clusters import cluster_secret
from gitops.clusters.store import ClusterSecretStore
from gitops.coordination import EventLog, RefreshRequests
from gitops.dependencies import DEPENDS_ON_ANNOTATION
from gitops.settings import Settings
from workers.enqueue import request_refresh

pytestmark = pytest.mark.slow
TOOLS = REPO / ".tools" / "bin"


def configmap(value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  version: {value}\n"


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:  # noqa: F811
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    built.env |= {
        "BOSUN_GIT_CACHE_DIR": str(tmp_path / "git-cache"),
        "BOSUN_MANIFEST_CACHE_HMAC_KEY": "fleet-engine-hmac-key-0123456789",
        "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"),
        "BOSUN_HELM_PATH": str(TOOLS / "helm"),
        "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.5",
        "BOSUN_CLUSTER_REQUEST_TIMEOUT_SECONDS": "5",
        "BOSUN_REVISION_CACHE_SECONDS": "0",
    }
    yield built
    built.stop()


def live_version(server: Any, namespace: str) -> str | None:
    api: Any = kclient.CoreV1Api(server.api_client())
    try:
        cm = api.read_namespaced_config_map("web-config", namespace)
    except kclient.ApiException:
        return None
    return str((cm.data or {}).get("version"))


def version_is(server: Any, namespace: str, value: str) -> Callable[[], bool]:
    return lambda: live_version(server, namespace) == value


def application(name: str, url: str, destination: dict[str, str], **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "project": "default",
            "source": {"repoURL": url, "path": "apps/web", "targetRevision": "HEAD"},
            "destination": destination,
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    }


def test_one_app_on_three_clusters_dependencies_and_an_unreachable_cluster(
    stack: Stack,
    git_server: Any,
    rclient: redis.Redis,  # noqa: F811
    kubesim_factory: Callable[..., Any],
) -> None:
    clusters = {name: kubesim_factory() for name in ("dev", "staging", "prod")}
    secrets = ClusterSecretStore(stack.registry.api.api_client, "bosun")
    for name, server in clusters.items():
        secrets.create(cluster_secret(name, server.url, {}, namespace="bosun"))
    repo = git_server.create_repo("fleet")
    repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    url = git_server.url("fleet")
    destinations = {
        "dev": {"name": "dev"},
        "staging": {"server": clusters["staging"].url},
        "prod": {"name": "prod"},
    }
    for env, destination in destinations.items():
        stack.registry.create(application(f"web-{env}", url, {**destination, "namespace": "web"}))
    stack.registry.create(application("db", url, {"name": "dev", "namespace": "db"}))
    stack.registry.create(
        application("api", url, {"name": "dev", "namespace": "api"}, **{DEPENDS_ON_ANNOTATION: "db"})
    )
    worker = start_worker(stack.env, stack.tmp / "fleet-worker.log", "fleet", app="workers.celery_app")
    stack.processes.append(worker)
    refreshes = RefreshRequests(rclient, stack.keys)
    for name in ("api", "db", "web-dev", "web-staging", "web-prod"):
        request_refresh(stack.celery, refreshes, name)

    def log() -> str:
        return worker.text()[-3000:]

    for env in destinations:
        wait_until(
            version_is(clusters[env], "web", "v1"),
            timeout=120,
            what=f"v1 on {env}\n{log()}",
        )
    wait_until(
        lambda: live_version(clusters["dev"], "api") == "v1", timeout=120, what=f"api deployed\n{log()}"
    )
    events = EventLog(rclient, stack.keys)
    db_started = min(e.at for e in events.recent("db") if e.kind == "auto-sync")
    api_started = min(e.at for e in events.recent("api") if e.kind == "auto-sync")
    assert db_started < api_started
    assert any(e.kind == "auto-sync-blocked" and "db (" in e.message for e in events.recent("api"))

    clusters["prod"].stop()
    repo.commit({"apps/web/configmap.yaml": configmap("v2")}, "v2")
    for env in destinations:
        request_refresh(stack.celery, refreshes, f"web-{env}", hard=True)
    for env in ("dev", "staging"):
        wait_until(
            version_is(clusters[env], "web", "v2"),
            timeout=120,
            what=f"v2 on {env}\n{log()}",
        )

    def prod_status() -> dict[str, Any]:
        return dict((stack.registry.application("web-prod") or {}).get("status") or {})

    wait_until(
        lambda: prod_status().get("sync", {}).get("status") == "Unknown",
        timeout=60,
        what=f"prod Unknown\n{log()}",
    )
    messages = " ".join(c.get("message", "") for c in prod_status().get("conditions") or [])
    assert "prod" in messages and ("unreachable" in messages or "cannot" in messages), messages

    def synced(name: str) -> Callable[[], bool]:
        def check() -> bool:
            status = (stack.registry.application(name) or {}).get("status") or {}
            return bool((status.get("sync") or {}).get("status") == "Synced")

        return check

    for env in ("dev", "staging"):
        wait_until(synced(f"web-{env}"), timeout=60, what=f"web-{env} Synced\n{log()}")
