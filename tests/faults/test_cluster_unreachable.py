# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 7: one of three destination clusters unreachable."""

from __future__ import annotations

from typing import Any

import pytest
from controlplane.servers import free_port
from kubernetes import client as kclient

from gitops.clusters.secrets import cluster_secret

from .stack import EngineStack, configmap, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.reliability(
    case="F7 one of three clusters unreachable",
    done="three destinations: in-cluster kubesim, a second kubesim (cluster Secret with token), and a cluster "
    "Secret whose server is a closed loopback port; one app per cluster from one repo; then a new commit",
    checked="only the app on the unreachable cluster is sync Unknown with a ComparisonError naming that "
    "cluster; the two others reach Synced+Healthy and deploy the next commit too",
)
def test_one_cluster_down_only_its_apps_unknown(
    stack: EngineStack, git_server: Any, kubesim_factory: Any
) -> None:
    repo = git_server.create_repo("fleet")
    repo.commit({"app/cm.yaml": configmap("fleet", "v1")})
    remote = kubesim_factory(token="remote-token-f7")
    dead = f"https://127.0.0.1:{free_port()}"
    core: Any = kclient.CoreV1Api(stack.kubesim.api_client())
    for name, server, token in (("remote", remote.url, "remote-token-f7"), ("dead", dead, "dead-token")):
        core.create_namespaced_secret("bosun", cluster_secret(
            name, server, {"bearerToken": token, "tlsClientConfig": {"insecure": True}}, namespace="bosun"))  # fmt: skip
    url = git_server.url("fleet")
    stack.application("on-local", url, "app", "f7")
    stack.application("on-remote", url, "app", "f7", server=remote.url)
    stack.application("on-dead", url, "app", "f7", server=dead)
    worker = stack.engine_worker("w1")
    for name in ("on-local", "on-remote", "on-dead"):
        stack.refresh(name)
    for name in ("on-local", "on-remote"):
        wait_for(lambda n=name: stack.synced_healthy(n), 120, f"{name} synced\n{worker.text()[-2000:]}")  # type: ignore[misc]
    wait_for(lambda: stack.sync_status("on-dead") == "Unknown", 60, "on-dead Unknown")
    message = next(c["message"] for c in stack.conditions("on-dead") if c["type"] == "ComparisonError")
    assert "dead" in message or dead in message, message
    repo.commit({"app/cm.yaml": configmap("fleet", "v2")})
    for name in ("on-local", "on-remote", "on-dead"):
        stack.refresh(name, hard=True)
    remote_core: Any = kclient.CoreV1Api(remote.api_client())
    wait_for(lambda: stack.configmap_value("fleet", "f7") == "v2", 90, "local v2")
    wait_for(
        lambda: remote_core.read_namespaced_config_map("fleet", "f7").data["value"] == "v2", 90, "remote v2"
    )
    assert stack.sync_status("on-dead") == "Unknown"
    assert stack.sync_status("on-local") in ("Synced", "OutOfSync")
