"""Drift made with the real kubectl binary (its own field managers) against kubesim: a change to a
synced field is OutOfSync with exactly that diff; `kubectl annotate`/`label` of other fields is not."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops.cluster.kube import KubeClusterPort
from gitops.compare import CompareSettings, SyncCode, compare_app
from kubesim.testing import KubesimServer

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.kubectl

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    },
}


def kubectl_binary() -> str:
    found = shutil.which("kubectl", path=f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        pytest.fail("kubectl not found: run `make install` (scripts/bootstrap.sh puts it in .tools/bin)")
    return found


@pytest.fixture
def port(kubesim_server: KubesimServer) -> Iterator[KubeClusterPort]:
    cluster = KubeClusterPort(kubesim_server.api_client(), cluster="kubesim")
    cluster.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}, field_manager="admin"
    )
    for resource in compare_app(cluster, "kubectl-drift", [WEB], destination_namespace="prod").resources:
        assert resource.target is not None
        cluster.apply(resource.target, field_manager="bosun", force=True)
    yield cluster
    cluster.close()


def kubectl(server: KubesimServer, *args: str) -> None:
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig)}
    subprocess.run(
        [kubectl_binary(), "--namespace", "prod", *args], check=True, env=env, capture_output=True, timeout=60
    )


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def compare(port: KubeClusterPort, settings: CompareSettings) -> Any:
    return compare_app(port, "kubectl-drift", [WEB], destination_namespace="prod", settings=settings)


@pytest.mark.parametrize(
    "settings", [CompareSettings(), CompareSettings(cheap_proof=False)], ids=["cheap-proof", "dry-run-diff"]
)
def test_kubectl_scale_and_set_image_show_exactly_those_changes(
    kubesim_server: KubesimServer, port: KubeClusterPort, settings: CompareSettings
) -> None:
    assert compare(port, settings).sync_status == SyncCode.SYNCED
    kubectl(kubesim_server, "scale", "deployment/web", "--replicas=4")
    kubectl(kubesim_server, "set", "image", "deployment/web", "web=nginx:1.28")
    (resource,) = compare(port, settings).resources
    assert resource.status == SyncCode.OUT_OF_SYNC
    assert sorted(changed_lines(resource.diff)) == sorted(
        ["-  replicas: 4", "+  replicas: 2", "-      - image: nginx:1.28", "+      - image: nginx:1.27"]
    ), resource.diff


def test_kubectl_annotate_and_label_leave_it_synced(
    kubesim_server: KubesimServer, port: KubeClusterPort
) -> None:
    kubectl(kubesim_server, "annotate", "deployment/web", "team=payments")
    kubectl(kubesim_server, "label", "deployment/web", "tier=frontend")
    for settings in (CompareSettings(), CompareSettings(cheap_proof=False)):
        assert compare(port, settings).sync_status == SyncCode.SYNCED
