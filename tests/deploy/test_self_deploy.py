"""Bosun deploys itself: an Application whose source is deploy/ in a git repository served by `git daemon`
on loopback syncs into kubesim and ends Synced and Healthy.

The path is the engine's, not the control plane's: SourceService (resolve, mirror, `kubectl kustomize`)
gives the desired state, SyncEngine applies it step by step over HTTP with the official client, then
compare_app reports sync and health. test_self_deploy_control_plane.py does the same through the
control plane's processes (server, worker, beat).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from gitserver import GitServer

from gitops.cache import MemoryCache
from gitops.cluster.kube import KubeClusterPort
from gitops.compare import compare_app
from gitops.model.application import ApplicationSyncSpec
from gitops.model.operation import InitiatedBy, Operation, SyncOperation
from gitops.settings import Settings
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver
from gitops.source.service import SourceService
from gitops.source.spec import parse_application
from gitops.sync.engine import SyncEngine, SyncInputs
from gitops.sync.live import load_live
from gitops.sync.store import MemoryOperationStore
from kubesim.testing import KubesimServer

from .render import DEPLOY, KUBECTL, kubectl

IN_CLUSTER = "https://kubernetes.default.svc"


def bosun_application(repo_url: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "bosun", "namespace": "bosun"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "path": "deploy", "targetRevision": "main"},
            "destination": {"server": IN_CLUSTER, "namespace": "bosun"},
            "syncPolicy": {"syncOptions": ["ServerSideApply=true"]},
        },
    }


def test_bosun_syncs_its_own_deploy_directory_into_kubesim(
    git_server: GitServer, kubesim_server: KubesimServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("bosun")
    shutil.copytree(DEPLOY, repo.work / "deploy")
    sha = repo.commit({}, "Bosun's own manifests")
    app = bosun_application(git_server.url("bosun", transport="git"))
    settings = Settings(
        git_cache_dir=tmp_path / "git-cache", kubectl_path=str(KUBECTL), helm_path=str(KUBECTL.parent / "helm"),
        manifest_cache_hmac_key="self-deploy-test-key", sync_step_countdown_seconds=0.1,
    )  # fmt: skip
    cache = MemoryCache()
    source = SourceService(
        RevisionResolver(cache, GitRemote(), 60),
        Mirrors(settings.git_cache_dir, 10**9, 3600),
        cache,
        settings,
    )
    desired = source.desired_state(parse_application(app))
    assert desired.revisions == (sha,) and desired.source_type == "Kustomize"
    kinds = {o["kind"] for o in desired.objects}
    assert {"CustomResourceDefinition", "Deployment", "StatefulSet", "NetworkPolicy"} <= kinds

    port = KubeClusterPort(kubesim_server.api_client())
    try:
        spec = ApplicationSyncSpec.from_spec("bosun", app["spec"])
        engine = SyncEngine(port, MemoryOperationStore(), settings=settings, poll_interval=0.1)
        engine.start(spec, Operation(SyncOperation(revision=sha), InitiatedBy(username="self-deploy-test")))
        deadline = time.monotonic() + 90
        while True:
            live = load_live(port, "bosun", desired.objects, destination_namespace="bosun")
            step = engine.step(spec, SyncInputs(desired=desired.objects, live=live))
            if step.finished:
                break
            assert time.monotonic() < deadline, f"sync still running: {step.message}"
            time.sleep(min(step.next_step_delay or 0.1, 0.5))
        assert step.phase == "Succeeded", step.message

        deadline = time.monotonic() + 60
        while True:
            result = compare_app(port, "bosun", desired.objects, destination_namespace="bosun")
            if str(result.sync_status) == "Synced" and str(result.health.status) == "Healthy":
                break
            assert time.monotonic() < deadline, (result.sync_status, result.health, result.conditions)
            time.sleep(0.5)
    finally:
        port.close()

    listed = kubectl(
        kubesim_server.kubeconfig, "get", "deploy,sts,hpa,pdb,netpol", "-n", "bosun", "-o", "name"
    )
    assert listed.returncode == 0, listed.stderr
    assert {"deployment.apps/bosun-server", "deployment.apps/bosun-worker", "deployment.apps/bosun-beat",
            "deployment.apps/bosun-flower", "statefulset.apps/bosun-redis",
            "horizontalpodautoscaler.autoscaling/bosun-worker"} <= set(listed.stdout.split())  # fmt: skip
