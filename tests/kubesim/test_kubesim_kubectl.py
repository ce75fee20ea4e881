"""The real kubectl against kubesim: get (-l, -o json, tables), create, apply (client-side and
--server-side), diff --server-side, label, patch (strategic, merge, json), delete."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kubesim.testing import KubesimServer

pytestmark = pytest.mark.kubectl
REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: shop}
data:
  colour: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
"""


def _kubectl_binary() -> str:
    found = shutil.which("kubectl", path=f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        pytest.fail("kubectl not found: run `make install` (scripts/bootstrap.sh puts it in .tools/bin)")
    return found


class Kubectl:
    def __init__(self, server: KubesimServer) -> None:
        self.binary = _kubectl_binary()
        self.env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(server.kubeconfig.parent)}

    def __call__(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.binary, *args], input=stdin, env=self.env, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result


@pytest.fixture
def kubectl(kubesim_server: KubesimServer) -> Kubectl:
    return Kubectl(kubesim_server)


def test_create_get_label_delete(kubectl: Kubectl) -> None:
    out = kubectl("create", "-f", "-", stdin=MANIFEST).stdout
    assert "configmap/settings created" in out and "deployment.apps/shop created" in out
    table = kubectl("get", "configmaps", "-l", "app=shop").stdout.splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"] and table[1].split()[:2] == ["settings", "1"]
    deployments = kubectl("get", "deployments").stdout.splitlines()
    assert deployments[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deployments[1].split()[0] == "shop"
    kubectl("label", "configmap", "settings", "tier=frontend")
    doc = json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)
    assert doc["metadata"]["labels"] == {"app": "shop", "tier": "frontend"}
    listed = json.loads(kubectl("get", "configmaps", "-l", "tier=frontend", "-o", "json").stdout)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["settings"]
    assert "deployment.apps/shop" in kubectl("get", "all").stdout
    kubectl("delete", "-f", "-", stdin=MANIFEST)
    missing = kubectl("get", "configmap", "settings", check=False)
    assert missing.returncode == 1 and 'configmaps "settings" not found' in missing.stderr


def test_patch_every_type(kubectl: Kubectl) -> None:
    kubectl("create", "-f", "-", stdin=MANIFEST)
    kubectl("patch", "deployment", "shop", "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}')  # fmt: skip
    kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"size":"L"}}')
    kubectl("patch", "configmap", "settings", "--type=json", "-p", '[{"op":"remove","path":"/data/colour"}]')
    deployment = json.loads(kubectl("get", "deployment", "shop", "-o", "json").stdout)
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("web", "nginx:1.28")]
    assert containers[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]  # kept by strategic merge
    assert json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)["data"] == {"size": "L"}


def test_client_side_apply(kubectl: Kubectl) -> None:
    assert "created" in kubectl("apply", "-f", "-", stdin=MANIFEST).stdout
    changed = MANIFEST.replace("colour: blue", "colour: green").replace("replicas: 2", "replicas: 3")
    out = kubectl("apply", "-f", "-", stdin=changed).stdout
    assert "configmap/settings configured" in out and "deployment.apps/shop configured" in out
    cm = json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)
    assert cm["data"] == {"colour": "green"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm["metadata"]["annotations"]
    assert "unchanged" in kubectl("apply", "-f", "-", stdin=changed).stdout


def test_server_side_apply_and_diff(kubectl: Kubectl) -> None:
    out = kubectl("apply", "--server-side", "-f", "-", stdin=MANIFEST).stdout
    assert "configmap/settings serverside-applied" in out
    cm = json.loads(kubectl("get", "configmap", "settings", "-o", "json", "--show-managed-fields").stdout)
    assert {m["manager"] for m in cm["metadata"]["managedFields"]} == {"kubectl"}
    same = kubectl("diff", "--server-side", "-f", "-", stdin=MANIFEST, check=False)
    assert same.returncode == 0, same.stderr
    changed = MANIFEST.replace("colour: blue", "colour: red")
    diff = kubectl("diff", "--server-side", "-f", "-", stdin=changed, check=False)
    assert diff.returncode == 1, diff.stderr
    assert "-  colour: blue" in diff.stdout and "+  colour: red" in diff.stdout
    assert json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)["data"] == {
        "colour": "blue"
    }
    kubectl("apply", "--server-side", "--field-manager=other", "-f", "-", stdin=changed, check=False)
    conflict = kubectl(
        "apply", "--server-side", "--field-manager=other", "-f", "-", stdin=changed, check=False
    )
    assert conflict.returncode != 0 and "conflict" in conflict.stderr.lower()
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=other", "-f", "-", stdin=changed)
    assert json.loads(kubectl("get", "configmap", "settings", "-o", "json").stdout)["data"] == {
        "colour": "red"
    }


def test_custom_resource_printer_columns(kubectl: Kubectl) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}},
                               "additionalPrinterColumns": [
                                   {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                                   {"name": "Ready", "type": "string",
                                    "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                                   {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]},
    }  # fmt: skip
    kubectl("apply", "-f", "-", stdin=json.dumps(crd))
    gizmo = {"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "g1"}, "spec": {"size": 3}}
    kubectl("apply", "-f", "-", stdin=json.dumps(gizmo))
    lines = kubectl("get", "gizmos").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "READY", "AGE"]
    assert lines[1].split()[:2] == ["g1", "3"]


def test_imperative_create_sends_protobuf(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "made-by-kubectl")
    kubectl(
        "create", "configmap", "conf", "-n", "made-by-kubectl", "--from-literal=a=1", "--from-literal=b=2"
    )
    kubectl(
        "create", "secret", "generic", "creds", "-n", "made-by-kubectl", "--from-literal=password=hunter2"
    )
    kubectl("create", "serviceaccount", "robot", "-n", "made-by-kubectl")
    cm = json.loads(kubectl("get", "configmap", "conf", "-n", "made-by-kubectl", "-o", "json").stdout)
    assert cm["data"] == {"a": "1", "b": "2"}
    secret = json.loads(kubectl("get", "secret", "creds", "-n", "made-by-kubectl", "-o", "json").stdout)
    assert secret["data"] == {"password": "aHVudGVyMg=="} and secret["type"] == "Opaque"
    ns = json.loads(kubectl("get", "namespace", "made-by-kubectl", "-o", "json").stdout)
    assert ns["status"]["phase"] == "Active"
    assert kubectl("get", "serviceaccount", "robot", "-n", "made-by-kubectl").returncode == 0
    args = (
        "create",
        "deployment",
        "web",
        "-n",
        "made-by-kubectl",
        "--image=nginx:1.27",
        "--port=8080",
        "--replicas=2",
    )
    expected = json.loads(kubectl(*args, "--dry-run=client", "-o", "json").stdout)["spec"]
    kubectl(*args)
    live = json.loads(kubectl("get", "deployment", "web", "-n", "made-by-kubectl", "-o", "json").stdout)[
        "spec"
    ]
    assert live["replicas"] == expected["replicas"] == 2 and live["selector"] == expected["selector"]
    assert live["template"]["metadata"] == expected["template"]["metadata"]
    container = live["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"], container["ports"][0]["containerPort"]) == (
        "nginx",
        "nginx:1.27",
        8080,
    )


def test_get_namespaces_and_cluster_info(kubectl: Kubectl) -> None:
    names = [line.split()[0] for line in kubectl("get", "namespaces").stdout.splitlines()[1:]]
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(names)
    assert "Server Version: v1.3" in kubectl("version").stdout
    resources = kubectl("api-resources").stdout
    assert "deployments" in resources and "customresourcedefinitions" in resources


def test_get_watch_prints_new_objects(kubectl: Kubectl, kubesim_server: KubesimServer) -> None:
    proc = subprocess.Popen([kubectl.binary, "get", "configmaps", "-w"], env=kubectl.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        time.sleep(1.0)
        kubectl("create", "configmap", "watched", "--from-literal=a=b")
        time.sleep(1.0)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert ["watched", "1"] in [line[:2] for line in lines], (out, err)


def test_rollout_status_and_wait_use_watch_list(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", stdin=MANIFEST)
    status = kubectl("rollout", "status", "deployment/shop", "--timeout=30s")
    assert 'deployment "shop" successfully rolled out' in status.stdout
    waited = kubectl("wait", "--for=condition=Available", "deployment/shop", "--timeout=30s")
    assert "condition met" in waited.stdout


def test_kubectl_over_tls_with_token(tmp_path: Path) -> None:
    from kubesim.testing import start_subprocess

    server = start_subprocess(tmp_path, tls=True, token="tls-token")
    try:
        kubectl = Kubectl(server)
        names = [line.split()[0] for line in kubectl("get", "namespaces").stdout.splitlines()[1:]]
        assert "default" in names
    finally:
        server.stop()
