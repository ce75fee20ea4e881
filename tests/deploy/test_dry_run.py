"""What `kubectl kustomize` renders for deploy/ and every overlay is accepted by kubesim through the real
kubectl's server-side apply with `--dry-run=server` (schema, defaulting and validation of the server)."""

from __future__ import annotations

import pytest
import yaml

from kubesim.testing import KubesimServer

from .render import FIXTURES, OVERLAYS, kubectl, kustomize


@pytest.mark.parametrize("target", OVERLAYS)
def test_overlay_is_accepted_by_server_side_dry_run(kubesim_server: KubesimServer, target: str) -> None:
    docs = kustomize(target)
    config = kubesim_server.kubeconfig
    prerequisites = [d for d in docs if d["kind"] in ("CustomResourceDefinition", "Namespace")]
    created = kubectl(config, "apply", "--server-side", "-f", "-", stdin=yaml.safe_dump_all(prerequisites))
    assert created.returncode == 0, created.stderr
    if target == "overlays/keda":
        keda = kubectl(config, "apply", "--server-side", "-f", str(FIXTURES / "keda-crds-minimal.yaml"))
        assert keda.returncode == 0, keda.stderr

    done = kubectl(
        config, "apply", "--server-side", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump_all(docs)
    )

    assert done.returncode == 0, f"deploy/{target} rejected:\n{done.stderr}"
    applied = [line for line in done.stdout.splitlines() if "(server dry run)" in line]
    assert len(applied) == len(docs), done.stdout
    # nothing was written by the dry run
    listed = kubectl(config, "get", "deployments,statefulsets,services", "-n", "bosun", "-o", "name")
    assert listed.returncode == 0 and listed.stdout.strip() == "", listed.stdout + listed.stderr
