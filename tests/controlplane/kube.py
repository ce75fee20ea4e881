"""Helpers for control-plane tests against kubesim: install Bosun's CRDs with the real kubectl,
create the management namespace, and run kubectl."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "deploy" / "crds"
APPS = Path(__file__).resolve().parent / "fixtures" / "apps"


def kubectl_binary() -> str:
    local = REPO / ".tools" / "bin" / "kubectl"
    found = str(local) if local.exists() else shutil.which("kubectl")
    assert found, "kubectl not found (.tools/bin or PATH)"
    return found


def kubectl(
    kubeconfig: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    result = subprocess.run(
        [kubectl_binary(), *args], env=env, capture_output=True, text=True, timeout=60, input=stdin
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result


def argo_shaped_application_crd() -> str:
    """Bosun's Application CRD as Argo CD ships its own: without the status subresource."""
    crd = yaml.safe_load((CRDS / "application-crd.yaml").read_text())
    for version in crd["spec"]["versions"]:
        version.pop("subresources", None)
    return str(yaml.safe_dump(crd))


def install_crds(kubeconfig: Path, namespace: str = "bosun", argo_shape: bool = False) -> None:
    """Apply deploy/crds (`argo_shape`: the Application CRD without the status subresource, as Argo
    CD's), wait until Established, and create the management namespace."""
    files: tuple[str, ...] = ("appproject-crd.yaml", "applicationset-crd.yaml")
    if argo_shape:
        kubectl(kubeconfig, "apply", "-f", "-", stdin=argo_shaped_application_crd())
    else:
        files = ("application-crd.yaml", *files)
    kubectl(kubeconfig, "apply", *(arg for name in files for arg in ("-f", str(CRDS / name))))
    # Poll rather than `kubectl wait`: kubesim's watch does not yet answer the watch-list request
    # (sendInitialEvents=true) kubectl 1.35 uses for wait.
    deadline = time.monotonic() + 30
    for crd in ("applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"):
        jsonpath = '{.status.conditions[?(@.type=="Established")].status}'
        while kubectl(kubeconfig, "get", "crd", crd, "-o", f"jsonpath={jsonpath}").stdout != "True":
            assert time.monotonic() < deadline, f"CRD {crd} not Established"
            time.sleep(0.05)
    namespace_doc = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"
    kubectl(kubeconfig, "apply", "-f", "-", stdin=namespace_doc)
