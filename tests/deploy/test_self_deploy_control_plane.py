"""Bosun deploys itself through its own control plane: `bosun server`, a `bosun worker` and `bosun beat`
(subprocesses, started as the demo starts them) sync an Application whose source is deploy/ (served by
`git daemon`) into kubesim, the management cluster itself, until the API reports it Synced and Healthy
at the pushed commit."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bosun.demo.repo import DemoRepo
from bosun.demo.stack import DemoStack
from bosun.demo.watch import AppWatcher, Row

from .render import DEPLOY

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_control_plane_syncs_bosun_deploy_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("BOSUN_REDIS_URL", "BOSUN_KUBECONFIG"):
        monkeypatch.delenv(variable, raising=False)
    stack = DemoStack()
    watcher: AppWatcher | None = None
    try:
        stack.redis()
        stack.management()
        repo = DemoRepo(stack.tmp / "git", name="bosun")
        repo.served.mkdir(parents=True)
        url = f"{stack.git_daemon(repo.served)}/bosun.git"
        shutil.copytree(DEPLOY, tmp_path / "source" / "deploy")
        sha = repo.seed(tmp_path / "source", url)
        stack.control_plane(workers=1)
        app = {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "bosun", "namespace": "bosun",
                         "annotations": {"argocd.argoproj.io/refresh": "normal"}},
            "spec": {"project": "default",
                     "source": {"repoURL": url, "path": "deploy", "targetRevision": "main"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "bosun"},
                     "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}},
        }  # fmt: skip
        stack.kubectl(stack.management_kubeconfig, "apply", "-f", "-", stdin=json.dumps(app))
        watcher = AppWatcher(stack.api_url, stack.creds.read_token, io.StringIO())

        def deployed(rows: dict[str, Row]) -> bool:
            row = rows.get("bosun")
            return row is not None and row.converged and row.revision == sha

        watcher.until(deployed, "bosun is Synced and Healthy", 150)
        names = stack.kubectl(stack.management_kubeconfig, "get", "deploy,sts,hpa,pdb,netpol,sa", "-n", "bosun",
                              "-o", "name").split()  # fmt: skip
        assert {"deployment.apps/bosun-server", "deployment.apps/bosun-worker", "deployment.apps/bosun-beat",
                "deployment.apps/bosun-flower", "statefulset.apps/bosun-redis",
                "horizontalpodautoscaler.autoscaling/bosun-worker",
                "poddisruptionbudget.policy/bosun-worker", "networkpolicy.networking.k8s.io/bosun-redis",
                "serviceaccount/bosun-controller"} <= set(names)  # fmt: skip
    finally:
        if watcher is not None:
            watcher.close()
        stack.close()
