"""A Bosun stack on the real engine for fault and security tests: kubesim (management and default
destination cluster) with Bosun's CRDs, a private redis-server, git served on loopback, worker
subprocesses running Bosun's own Celery app (`workers.celery_app`), and helpers to declare
Applications and read their status."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controlplane.kube import REPO
from controlplane.servers import free_port
from controlplane.test_workers import Stack
from controlplane.workers_proc import CeleryProcess, start_worker
from kubernetes import client as kclient

from gitops.coordination import RefreshRequests, redis_client
from workers.enqueue import request_refresh

TOOLS = REPO / ".tools" / "bin"
HMAC_KEY = "faults-hmac-key-0123456789abcdef"


def wait_for(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def configmap(name: str, value: str, wave: int | None = None, **annotations: str) -> str:
    notes = dict(annotations)
    if wave is not None:
        notes["argocd.argoproj.io/sync-wave"] = str(wave)
    meta = "".join(f'\n    {k}: "{v}"' for k, v in notes.items())
    head = f"\n  annotations:{meta}" if meta else ""
    return f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{head}\ndata:\n  value: "{value}"\n'


class EngineStack(Stack):
    """controlplane's Stack with the engine's environment and helpers for real Applications."""

    def __init__(self, kubesim: Any, settings: Any, redis_url: str, tmp: Path) -> None:
        super().__init__(kubesim, settings, redis_url, tmp)
        self.env |= {
            "BOSUN_GIT_CACHE_DIR": str(tmp / "git-cache"),
            "BOSUN_MANIFEST_CACHE_HMAC_KEY": HMAC_KEY,
            "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"),
            "BOSUN_HELM_PATH": str(TOOLS / "helm"),
            "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.3",
            "BOSUN_REVISION_CACHE_SECONDS": "1",
        }
        self.redis = redis_client(self.settings)
        self.refreshes = RefreshRequests(self.redis, self.keys)

    def engine_worker(self, name: str, concurrency: int = 2, level: str = "INFO") -> CeleryProcess:
        """A worker subprocess on Bosun's own Celery app, logging at `level`."""
        if level == "INFO":
            proc = start_worker(
                self.env, self.tmp / f"{name}.log", name, concurrency, app="workers.celery_app"
            )
        else:
            proc = CeleryProcess(
                ["-A", "workers.celery_app", "worker", "-Q", "refresh,sync", "-c", str(concurrency),
                 "-n", f"{name}@%h", "--without-mingle", "--without-gossip", "-l", level],
                {**self.env, "BOSUN_LOG_LEVEL": level}, self.tmp / f"{name}.log",
            )  # fmt: skip
            proc.wait_for("ready.")
        self.processes.append(proc)
        return proc

    def application(
        self, name: str, repo_url: str, path: str, namespace: str, *, automated: bool = True,
        project: str = "default", server: str = "https://kubernetes.default.svc", **annotations: str,
    ) -> None:  # fmt: skip
        spec: dict[str, Any] = {
            "project": project,
            "source": {"repoURL": repo_url, "path": path, "targetRevision": "HEAD"},
            "destination": {"server": server, "namespace": namespace},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        }
        if automated:
            spec["syncPolicy"]["automated"] = {"prune": True, "selfHeal": False}
        self.registry.create({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "annotations": annotations}, "spec": spec,
        })  # fmt: skip

    def refresh(self, name: str, hard: bool = False) -> bool:
        return request_refresh(self.celery, self.refreshes, name, hard=hard)

    def status(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(dict((self.registry.application(name) or {}).get("status") or {}))

    def sync_status(self, name: str) -> str:
        return str(self.status(name).get("sync", {}).get("status", ""))

    def health(self, name: str) -> str:
        return str((self.status(name).get("health") or {}).get("status", ""))

    def conditions(self, name: str) -> list[dict[str, Any]]:
        return list(self.status(name).get("conditions") or [])

    def synced_healthy(self, name: str) -> bool:
        status = self.status(name)
        return (
            status.get("sync", {}).get("status") == "Synced"
            and (status.get("health") or {}).get("status") == "Healthy"
            and (status.get("operationState") or {}).get("phase") != "Running"
        )

    def configmap_value(self, name: str, namespace: str) -> str | None:
        try:
            cm = kclient.CoreV1Api(self.kubesim.api_client()).read_namespaced_config_map(name, namespace)
        except kclient.ApiException:
            return None
        return str((cm.data or {}).get("value"))

    def namespace_objects(self, namespace: str) -> list[str]:
        """Names of the ConfigMaps in `namespace` (besides kube-root-ca.crt), [] when it does not exist."""
        try:
            items: Any = (
                kclient.CoreV1Api(self.kubesim.api_client()).list_namespaced_config_map(namespace).items
            )
        except kclient.ApiException:
            return []
        return sorted(i.metadata.name for i in items if i.metadata.name != "kube-root-ca.crt")

    def logs(self) -> str:
        return "".join(p.text() for p in self.processes)


class ApiProcess:
    """`bosun server` as a subprocess (its output captured in a log file)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from bosun.cli import main; raise SystemExit(main())", "server",
             "--port", str(self.port)],
            env={**env, "BOSUN_API_HOST": "127.0.0.1"}, cwd=REPO, stdout=self._file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        import httpx

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code < 500
            except httpx.HTTPError:
                assert self.proc.poll() is None, self.text()
                return False

        wait_for(up, 30, "bosun server up")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self._file.close()
