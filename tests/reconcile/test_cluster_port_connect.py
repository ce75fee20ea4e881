"""Cluster connections from Argo CD cluster Secrets (over TLS with a token, against kubesim), the
per-process port pool and the QPS/burst limiter."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from gitops.cluster import ClusterConnection, PortPool, TokenBucket
from gitops.cluster.kube import KubeClusterPort
from gitops.errors import ClusterError, ConfigError
from kubesim.testing import KubesimServer


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_argo_config_is_read_and_credentials_never_shown() -> None:
    connection = ClusterConnection.from_argo_config(
        "prod",
        "https://prod.example.com:6443/",
        {
            "bearerToken": "s3cr3t-token",
            "tlsClientConfig": {"caData": b64(b"CA PEM"), "insecure": False, "serverName": "api.prod"},
        },
    )
    assert connection.server == "https://prod.example.com:6443" and connection.ca_pem == b"CA PEM"
    assert connection.server_name == "api.prod" and connection.bearer_token == "s3cr3t-token"
    assert "s3cr3t" not in repr(connection) and "CA PEM" not in repr(connection)


@pytest.mark.parametrize(
    ("server", "config", "complaint"),
    [
        ("prod.example.com", {}, "not an http(s) URL"),
        ("https://x", {"execProviderConfig": {"command": "aws"}}, "execProviderConfig is not supported"),
        ("https://x", {"tlsClientConfig": {"caData": "%%%not-base64"}}, "caData is not valid base64"),
    ],
)
def test_bad_cluster_config_is_refused_with_the_reason(
    server: str, config: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ClusterConnection.from_argo_config("prod", server, config)
    assert complaint in str(caught.value) and "cluster prod" in str(caught.value)


def test_connect_over_tls_with_a_bearer_token(kubesim_factory: Callable[..., KubesimServer]) -> None:
    server = kubesim_factory(token="bench-token", tls=True)
    assert server.running is not None
    ca_pem = server.running.ca_pem
    assert ca_pem is not None
    config = {
        "bearerToken": "bench-token",
        "tlsClientConfig": {"caData": b64(ca_pem if isinstance(ca_pem, bytes) else ca_pem.encode())},
    }
    port = KubeClusterPort.connect(
        ClusterConnection.from_argo_config("tls-cluster", server.url, config), qps=50, burst=10
    )
    try:
        assert port.server_version().startswith("v1.")
        assert port.list(port.resource_for("v1", "Namespace")) != []
    finally:
        port.close()
    wrong = KubeClusterPort.connect(
        ClusterConnection.from_argo_config("tls-cluster", server.url, {**config, "bearerToken": "wrong"})
    )
    try:
        with pytest.raises(ClusterError) as caught:
            wrong.resource_for("v1", "ConfigMap")
        assert (
            caught.value.code == 401
            and "tls-cluster" in str(caught.value)
            and "wrong" not in str(caught.value)
        )
    finally:
        wrong.close()
    untrusted = KubeClusterPort.connect(
        ClusterConnection.from_argo_config("tls-cluster", server.url, {"bearerToken": "bench-token"})
    )
    try:
        with pytest.raises(ClusterError, match="unreachable"):
            untrusted.resource_for("v1", "ConfigMap")  # the server's CA is not trusted
    finally:
        untrusted.close()


def test_pool_builds_one_port_per_cluster_and_closes_dropped_ones() -> None:
    built: list[str] = []
    closed: list[str] = []

    class Port:
        def __init__(self, name: str) -> None:
            self.name = name
            built.append(name)

        def close(self) -> None:
            closed.append(self.name)

    pool: PortPool[Port] = PortPool(Port)
    assert pool.get("dev") is pool.get("dev") and pool.get("prod") is not pool.get("dev")
    assert built == ["dev", "prod"] and len(pool) == 2
    pool.drop("dev")
    assert closed == ["dev"] and pool.get("dev").name == "dev" and built == ["dev", "prod", "dev"]
    pool.close()
    assert sorted(closed) == ["dev", "dev", "prod"] and len(pool) == 0


def test_token_bucket_allows_a_burst_then_paces_to_qps() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(qps=10, burst=3, clock=lambda: now[0], sleep=sleep)
    waits = [bucket.take() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.1) and waits[4] == pytest.approx(0.1)
    now[0] += 10  # idle: refills to the burst, not beyond
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0] and bucket.take() == pytest.approx(0.1)
    with pytest.raises(ValueError):
        TokenBucket(qps=0, burst=1)
