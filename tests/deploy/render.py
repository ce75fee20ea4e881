"""Helpers of the deploy tests: render deploy/ and its overlays with the real `kubectl kustomize`, and
apply manifests to kubesim with the real kubectl."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBECTL = REPO / ".tools" / "bin" / "kubectl"
FIXTURES = Path(__file__).parent / "fixtures"
OVERLAYS = [".", *sorted(f"overlays/{p.name}" for p in (DEPLOY / "overlays").iterdir() if p.is_dir())]

Obj = dict[str, Any]


def kustomize(target: str) -> list[Obj]:
    """The documents `kubectl kustomize deploy/<target>` prints (fails the test on a render error)."""
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(DEPLOY / target)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"kubectl kustomize deploy/{target} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def by_kind(docs: list[Obj], kind: str) -> dict[str, Obj]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_templates(docs: list[Obj]) -> dict[str, Obj]:
    """Pod spec of every workload, by workload name."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
    }
