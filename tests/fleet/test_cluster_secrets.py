"""Cluster Secrets: parsing, building, destination lookup, one port per cluster rebuilt on change."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from gitops.cluster.connection import IN_CLUSTER_SERVER
from gitops.clusters import ClusterCatalog, ClusterPorts, cluster_secret, parse_cluster_secret
from gitops.clusters.kubeconfig import cluster_config_from_kubeconfig
from gitops.errors import ConfigError, SpecError
from gitops.settings import Settings

TOKEN = "s3cret-token-marker"


def secret(name: str, server: str, config: dict[str, Any] | None = None, **extra: str) -> dict[str, Any]:
    data = {"name": name, "server": server, "config": orjson.dumps(config or {"bearerToken": TOKEN}).decode()}
    data.update(extra)
    return {
        "metadata": {
            "name": f"cluster-{name}",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", "env": name},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_parse_fields_and_never_show_credentials() -> None:
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
    record = parse_cluster_secret(
        secret(
            "prod",
            "https://prod.example.com/",
            {"username": "u", "password": TOKEN, "tlsClientConfig": {"caData": ca, "serverName": "api"}},
            namespaces="a, b",
        )
    )
    assert (record.name, record.server, record.namespaces) == ("prod", "https://prod.example.com", ("a", "b"))
    assert record.labels["env"] == "prod"
    assert record.connection is not None and record.connection.password == TOKEN
    assert record.connection.ca_pem == b"-----BEGIN CERTIFICATE-----\n"
    assert TOKEN not in repr(record)


def test_broken_secrets_are_named_without_their_content() -> None:
    bad_json = secret("x", "https://x")
    bad_json["data"]["config"] = base64.b64encode(f'{{"bearerToken": "{TOKEN}"'.encode()).decode()
    with pytest.raises(ConfigError) as err:
        parse_cluster_secret(bad_json)
    assert "cluster Secret cluster-x" in str(err.value) and TOKEN not in str(err.value)
    catalog = ClusterCatalog.from_secrets([bad_json, secret("ok", "https://ok")])
    assert [c.name for c in catalog.clusters] == ["in-cluster", "ok"]
    with pytest.raises(SpecError, match=r"unusable cluster Secrets: .*cluster-x") as missing:
        catalog.resolve({"name": "x"})
    assert TOKEN not in str(missing.value)


def test_destination_lookup_by_server_or_name() -> None:
    catalog = ClusterCatalog.from_secrets([secret("dev", "https://dev"), secret("prod", "https://prod")])
    assert catalog.resolve({"server": "https://prod/"}).name == "prod"
    assert catalog.resolve({"name": "dev"}).server == "https://dev"
    in_cluster = catalog.resolve({"server": IN_CLUSTER_SERVER})
    assert in_cluster.name == "in-cluster" and in_cluster.in_cluster
    assert catalog.resolve({"name": "in-cluster"}).server == IN_CLUSTER_SERVER
    with pytest.raises(SpecError, match="cluster https://qa has not been configured"):
        catalog.resolve({"server": "https://qa"}, app="web")
    with pytest.raises(SpecError, match="no clusters with this name: qa"):
        catalog.resolve({"name": "qa"})
    with pytest.raises(SpecError, match="is cluster https://dev, not https://prod"):
        catalog.resolve({"name": "dev", "server": "https://prod"})


def test_secret_naming_the_in_cluster_server_renames_it() -> None:
    catalog = ClusterCatalog.from_secrets(
        [secret("mgmt", IN_CLUSTER_SERVER, {"tlsClientConfig": {"insecure": False}})]
    )
    assert [c.name for c in catalog.clusters] == ["mgmt"]
    assert catalog.resolve({"server": IN_CLUSTER_SERVER}).in_cluster


def test_build_secret_validates_and_round_trips() -> None:
    built = cluster_secret(
        "staging", "https://staging", {"bearerToken": TOKEN}, namespace="bosun", namespaces=("web",)
    )
    assert built["metadata"]["name"] == "cluster-staging"
    assert built["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
    assert parse_cluster_secret(built).namespaces == ("web",)
    with pytest.raises(ConfigError, match="not an http"):
        cluster_secret("x", "ftp://x", {}, namespace="bosun")
    gke = cluster_secret("gke_proj_europe-west1_main", "https://gke", {}, namespace="bosun")
    assert gke["metadata"]["name"] == "cluster-gke-proj-europe-west1-main"
    assert parse_cluster_secret(gke).name == "gke_proj_europe-west1_main"
    with pytest.raises(ConfigError, match="cluster name 'Bad Name'"):
        cluster_secret("Bad Name", "https://x", {}, namespace="bosun")


def test_kubeconfig_context_to_cluster_config(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"CA")
    (tmp_path / "config").write_text(
        f"""
clusters:
- name: c1
  cluster: {{server: "https://c1.example.com", certificate-authority: ca.crt, tls-server-name: api}}
users:
- name: u1
  user: {{token: {TOKEN}}}
- name: u2
  user: {{exec: {{command: aws}}}}
contexts:
- name: one
  context: {{cluster: c1, user: u1}}
- name: two
  context: {{cluster: c1, user: u2}}
"""
    )
    server, config = cluster_config_from_kubeconfig(str(tmp_path / "config"), "one")
    assert server == "https://c1.example.com"
    assert config == {
        "bearerToken": TOKEN,
        "tlsClientConfig": {"caData": base64.b64encode(b"CA").decode(), "serverName": "api"},
    }
    with pytest.raises(ConfigError, match="exec or auth-provider"):
        cluster_config_from_kubeconfig(str(tmp_path / "config"), "two")
    with pytest.raises(ConfigError, match="context 'three' not found"):
        cluster_config_from_kubeconfig(str(tmp_path / "config"), "three")


class FakePort:
    def __init__(self, label: str) -> None:
        self.label, self.closed = label, False

    def close(self) -> None:
        self.closed = True


def test_one_port_per_cluster_with_limits_rebuilt_when_the_secret_changes() -> None:
    secrets = [secret("dev", "https://dev")]
    made: list[tuple[str, float, int]] = []
    now = [0.0]

    def factory(connection: Any, settings: Settings) -> Any:
        made.append((connection.name, settings.cluster_qps, settings.cluster_burst))
        return FakePort(connection.bearer_token)

    ports = ClusterPorts(
        Settings(cluster_qps=7, cluster_burst=9),
        lambda: secrets,
        lambda: cast(Any, FakePort("in-cluster")),
        port_factory=factory,
        catalog_ttl=10,
        clock=lambda: now[0],
    )
    _, first = ports.resolve({"name": "dev"})
    assert ports.resolve({"server": "https://dev"})[1] is first
    assert made == [("dev", 7, 9)]
    secrets[0] = secret("dev", "https://dev", {"bearerToken": "rotated"})
    assert ports.resolve({"name": "dev"})[1] is first  # catalog cached for the TTL
    now[0] = 11
    second: Any = ports.resolve({"name": "dev"})[1]
    assert second is not first and cast(Any, first).closed and second.label == "rotated"
    assert cast(Any, ports.resolve({"name": "in-cluster"})[1]).label == "in-cluster"


@pytest.mark.timeout(60)
def test_a_blackholed_cluster_fails_fast_instead_of_holding_the_worker() -> None:
    import socket
    import time

    from gitops.clusters import probe

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections (kernel backlog) and never answers
    server = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        ports = ClusterPorts(
            Settings(cluster_request_timeout_seconds=0.3),
            lambda: [secret("blackhole", server)],
            lambda: cast(Any, FakePort("in-cluster")),
        )
        record, port = ports.resolve({"name": "blackhole"})
        started = time.monotonic()
        state = probe(record, port)
        assert state.status == "Failed" and "cannot reach the cluster" in state.message
        assert TOKEN not in state.message
        assert time.monotonic() - started < 20
        ports.close()
    finally:
        listener.close()
