"""`kubesim serve` as a process: --port 0, kubeconfig written once serving (context kubesim), clean exit on
SIGTERM/SIGINT, --tls with the CA in the kubeconfig, --token; several processes are several clusters."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import start_subprocess


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_writes_kubeconfig_and_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    server = start_subprocess(tmp_path)
    proc = server.process
    assert proc is not None
    try:
        config = yaml.safe_load(server.kubeconfig.read_text())
        assert config["current-context"] == "kubesim"
        assert config["contexts"][0]["name"] == "kubesim"
        assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")
        names = [n.metadata.name for n in client.CoreV1Api(server.api_client()).list_namespace().items]
        assert "default" in names
    finally:
        proc.send_signal(sig)
        assert proc.wait(10) == 0


def test_two_processes_are_two_clusters(tmp_path: Path) -> None:
    one = start_subprocess(tmp_path / "one")
    two = start_subprocess(tmp_path / "two")
    try:
        assert one.url != two.url
        client.CoreV1Api(one.api_client()).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name="only-in-one")))  # fmt: skip
        names = {n.metadata.name for n in client.CoreV1Api(two.api_client()).list_namespace().items}
        assert "only-in-one" not in names
    finally:
        one.stop()
        two.stop()


def test_tls_with_generated_ca(tmp_path: Path) -> None:
    server = start_subprocess(tmp_path, tls=True)
    try:
        config = yaml.safe_load(server.kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["certificate-authority-data"]
        assert server.url.startswith("https://")
        v1 = client.CoreV1Api(server.api_client())  # verifies against the CA from the kubeconfig
        assert v1.read_namespace("default").metadata.name == "default"
    finally:
        server.stop()


def test_token_is_required_when_configured(tmp_path: Path) -> None:
    server = start_subprocess(tmp_path, token="s3cret-token", read_only_token="viewer-token")
    try:
        assert client.CoreV1Api(server.api_client()).read_namespace("default").metadata.name == "default"
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(server.api_client(token="wrong")).read_namespace("default")
        assert err.value.status == 401
        viewer = client.CoreV1Api(server.api_client(token="viewer-token"))
        assert viewer.read_namespace("default").metadata.name == "default"
        with pytest.raises(ApiException) as err:
            viewer.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="nope")))
        assert err.value.status == 403
        assert (
            "s3cret-token" not in server.kubeconfig.read_text()
            or server.kubeconfig.stat().st_mode & 0o077 == 0
        )
    finally:
        server.stop()
