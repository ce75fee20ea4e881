"""Real-process stack for fleet end-to-end tests: kubesim as management (and in-cluster) cluster with
Bosun's CRDs, more kubesims registered as cluster Secrets, a private redis-server, and Bosun's own
Celery app (the engine Reconciler) in a worker subprocess plus a beat, from the environment."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controlplane.workers_proc import CeleryProcess, bosun_env, start_beat, start_worker
from kubernetes import client

from gitops.clusters import cluster_secret
from gitops.clusters.store import ClusterSecretStore
from gitops.registry import ApplicationRegistry

from .appset_support import NAMESPACE, install_crds

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "bin"


def wait_until(predicate: Callable[[], Any], timeout: float = 90, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


class EngineStack:
    def __init__(self, start: Callable[..., Any], redis_url: str, prefix: str, tmp: Path) -> None:
        self.start = start
        self.mgmt = start()
        install_crds(self.mgmt.kubeconfig, NAMESPACE)
        self.registry = ApplicationRegistry(self.mgmt.api_client(), NAMESPACE)
        self.custom = client.CustomObjectsApi(self.mgmt.api_client())
        self.secrets = ClusterSecretStore(self.mgmt.api_client(), NAMESPACE)
        self.clusters: dict[str, Any] = {"in-cluster": self.mgmt}
        self.tmp = tmp
        self.env = bosun_env(redis_url, prefix, self.mgmt.kubeconfig, **{
            "git_cache_dir": str(tmp / "git-cache"), "manifest_cache_hmac_key": "fleet-e2e-hmac-key-0123456789",
            "kubectl_path": str(TOOLS / "kubectl"), "helm_path": str(TOOLS / "helm"),
            "sync_step_countdown_seconds": "0.3", "tick_seconds": "0.5", "refresh_interval_seconds": "2",
            "refresh_jitter_seconds": "0", "revision_cache_seconds": "0", "appset_poll_seconds": "2",
        })  # fmt: skip
        self.processes: list[CeleryProcess] = []

    def run(self) -> None:
        """Start the engine worker and the beat."""
        self.processes.append(
            start_worker(self.env, self.tmp / "worker.log", "fleet", app="workers.celery_app")
        )
        self.processes.append(start_beat(self.env, self.tmp / "beat.log", self.tmp))

    def logs(self) -> str:
        return "\n".join(p.text()[-2500:] for p in self.processes)

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()

    def add_cluster(self, name: str, **labels: str) -> Any:
        server = self.start()
        self.clusters[name] = server
        config = {"bearerToken": server.token} if server.token else {}
        self.secrets.create(cluster_secret(name, server.url, config, namespace=NAMESPACE, labels=labels))
        return server

    def apps(self) -> dict[str, Any]:
        return {a["metadata"]["name"]: a for a in self.registry.applications()}

    def configmap(self, cluster: str, namespace: str, name: str) -> dict[str, Any] | None:
        api = client.CoreV1Api(self.clusters[cluster].api_client())
        try:
            found: dict[str, Any] = api.read_namespaced_config_map(name, namespace).to_dict()
        except client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return found
