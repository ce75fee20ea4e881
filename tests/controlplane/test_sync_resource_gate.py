"""The project's resource gate on an operation's first step, over the manifests actually synced: an
app never refreshed (no `status.resources` for the pre-step review to see) whose Git holds a kind its
AppProject forbids gets its operation Failed and nothing applied. The real EngineReconciler runs
in-process against kubesim, a private redis-server and a git repo on loopback. And the in-cluster
destination's port gets the QPS limit and request time limit of a registered cluster's."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as kclient
from pydantic import SecretStr

from gitops.clusters.ports import in_cluster_port
from gitops.errors import ClusterError
from gitops.settings import Settings
from workers.context import WorkerContext
from workers.engine import EngineReconciler

from .test_engine_flow import TOOLS, configmap
from .test_workers import Stack

SECRET_YAML = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-secret\nstringData:\n  k: v\n"


def restricted_project() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "restricted", "namespace": "bosun"},
        "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                 "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                 "namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}]},
    }  # fmt: skip


def app_and_reconciler(
    kubesim_server: Any,
    settings: Settings,
    redis_url: str,
    git_server: Any,
    tmp_path: Path,
    files: dict[str, str],
) -> tuple[dict[str, Any], EngineReconciler]:
    """A `restricted`-project app with a requested sync (never refreshed) and a worker's reconciler."""
    stack = Stack(kubesim_server, settings, redis_url, tmp_path)
    git_server.create_repo("guestbook").commit(files, "v1")
    api = kubesim_server.api_client()
    kclient.CustomObjectsApi(api).create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", restricted_project()
    )
    kclient.CoreV1Api(api).create_namespace(kclient.V1Namespace(metadata=kclient.V1ObjectMeta(name="web")))
    app = stack.registry.create({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web"},
        "spec": {"project": "restricted",
                 "source": {"repoURL": git_server.url("guestbook"), "path": "apps/web", "targetRevision": "HEAD"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"}},
        "operation": {"sync": {}, "initiatedBy": {"username": "test"}},
    })  # fmt: skip
    worker_settings = stack.settings.model_copy(update={
        "kubeconfig": str(kubesim_server.kubeconfig), "git_cache_dir": tmp_path / "git-cache",
        "manifest_cache_hmac_key": SecretStr("gate-test-hmac-key-0123456789"),
        "kubectl_path": str(TOOLS / "kubectl"), "helm_path": str(TOOLS / "helm"),
    })  # fmt: skip
    return app, EngineReconciler(WorkerContext(worker_settings))


def test_first_step_refuses_a_forbidden_kind_in_the_synced_manifests(
    kubesim_server: Any, settings: Settings, redis_server: Any, git_server: Any, tmp_path: Path
) -> None:
    files = {"apps/web/configmap.yaml": configmap("v1"), "apps/web/secret.yaml": SECRET_YAML}
    app, reconciler = app_and_reconciler(
        kubesim_server, settings, redis_server.url, git_server, tmp_path, files
    )

    outcome = reconciler.sync_step(app)

    state = outcome.status["operationState"]
    assert outcome.done and state["phase"] == "Failed", state
    assert "Secret" in state["message"] and "restricted" in state["message"], state["message"]
    core = kclient.CoreV1Api(kubesim_server.api_client())
    assert core.list_namespaced_config_map("web").items == []  # nothing applied


def test_first_step_starts_the_sync_when_nothing_is_forbidden(
    kubesim_server: Any, settings: Settings, redis_server: Any, git_server: Any, tmp_path: Path
) -> None:
    files = {"apps/web/configmap.yaml": configmap("v1")}
    app, reconciler = app_and_reconciler(
        kubesim_server, settings, redis_server.url, git_server, tmp_path, files
    )

    outcome = reconciler.sync_step(app)

    assert outcome.status["operationState"]["phase"] in ("Running", "Succeeded"), outcome.status


def test_in_cluster_port_has_the_request_time_limit_and_rate_limit(
    kubesim_server: Any, settings: Settings, redis_server: Any, git_server: Any, tmp_path: Path
) -> None:
    _, reconciler = app_and_reconciler(
        kubesim_server, settings, redis_server.url, git_server, tmp_path, {"a": ""}
    )
    _, port = reconciler.ports.resolve({"server": "https://kubernetes.default.svc"}, "web")
    assert port._limiter is not None and port._limiter.qps == settings.cluster_qps  # type: ignore[attr-defined]

    with socket.socket() as blackhole:  # accepts connections, never answers
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(8)
        configuration = kclient.Configuration()
        configuration.host = f"http://127.0.0.1:{blackhole.getsockname()[1]}"
        limited = settings.model_copy(update={"cluster_request_timeout_seconds": 0.5})
        silent = in_cluster_port(kclient.ApiClient(configuration), limited)
        with pytest.raises(ClusterError):
            silent.server_version()  # without the time limit this would wait forever
