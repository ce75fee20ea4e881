"""The real kubectl against kubesim's field management: server-side apply conflicts with `kubectl scale`,
--force-conflicts, and client-side apply patches ($setElementOrder, $patch: delete) that drop items."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kubesim.testing import KubesimServer

pytestmark = pytest.mark.kubectl
REPO = Path(__file__).resolve().parents[2]


def _deployment(image: str = "nginx:1", containers: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: {image}
        env: [{{name: "A", value: "1"}}, {{name: "B", value: "2"}}]
{containers}"""


def _run(server: KubesimServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which(
        "kubectl", path=f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if not binary:
        pytest.fail("kubectl not found: run `make install` (scripts/bootstrap.sh puts it in .tools/bin)")
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(server.kubeconfig.parent)}
    return subprocess.run([binary, *args], input=stdin, env=env, capture_output=True, text=True, timeout=60)


def _get(server: KubesimServer) -> dict:
    out = _run(server, "get", "deployment", "web", "-o", "json", "--show-managed-fields")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_server_side_apply_conflicts_with_kubectl_scale_until_forced(kubesim_server: KubesimServer) -> None:
    assert _run(kubesim_server, "apply", "--server-side", "-f", "-", stdin=_deployment()).returncode == 0
    assert _run(kubesim_server, "scale", "deployment/web", "--replicas=5").returncode == 0
    conflict = _run(kubesim_server, "apply", "--server-side", "-f", "-", stdin=_deployment("nginx:2"))
    assert conflict.returncode == 1
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas'
        in conflict.stderr
    )
    assert _get(kubesim_server)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
    forced = _run(
        kubesim_server, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=_deployment("nginx:2")
    )
    assert forced.returncode == 0, forced.stderr
    live = _get(kubesim_server)
    assert live["spec"]["replicas"] == 2
    entries = [
        (e["manager"], e["operation"], e.get("subresource")) for e in live["metadata"]["managedFields"]
    ]
    assert ("kubectl", "Apply", None) in entries and ("kubectl", "Update", "scale") not in entries


def test_client_side_apply_drops_items_through_strategic_directives(kubesim_server: KubesimServer) -> None:
    sidecar = "      - name: side\n        image: busybox\n"
    assert _run(kubesim_server, "apply", "-f", "-", stdin=_deployment(containers=sidecar)).returncode == 0
    fewer = _deployment("nginx:2").replace(
        '[{name: "A", value: "1"}, {name: "B", value: "2"}]', '[{name: "B", value: "3"}]'
    )
    applied = _run(kubesim_server, "apply", "-f", "-", stdin=fewer)
    assert applied.returncode == 0, applied.stderr
    (web,) = _get(kubesim_server)["spec"]["template"]["spec"]["containers"]
    assert web["image"] == "nginx:2" and web["env"] == [{"name": "B", "value": "3"}]
    managers = [e["manager"] for e in _get(kubesim_server)["metadata"]["managedFields"]]
    assert "kubectl-client-side-apply" in managers
