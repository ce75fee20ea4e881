"""`bosun cluster add|list|remove` and `bosun proj list|get` through the real API server (HTTP on
loopback), against a management kubesim and two cluster kubesims; Redis is a private redis-server."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import httpx
import pytest
from controlplane.conftest import RedisServer, redis_server  # noqa: F401  (private redis-server)
from controlplane.kube import install_crds
from controlplane.servers import api_server
from kubernetes import client as k8s
from pydantic import SecretStr

from bosun.cli import main
from gitops.registry import ApplicationRegistry
from gitops.settings import Settings, get_settings

READ, WRITE = "fleet-read-3c1", "fleet-write-8d2"


class Cli:
    def __init__(self, url: str) -> None:
        self.env = {"BOSUN_API_URL": url, "BOSUN_API_TOKEN": WRITE}

    def __call__(self, *args: str, token: str = WRITE) -> subprocess.CompletedProcess[str]:
        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        os.environ.update(self.env | {"BOSUN_API_TOKEN": token})
        get_settings.cache_clear()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:
                    code = int(exc.code or 0)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
        return subprocess.CompletedProcess(["bosun", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def stack(
    kubesim_factory: Callable[..., Any],
    redis_server: RedisServer,  # noqa: F811
) -> Iterator[tuple[Cli, ApplicationRegistry, dict[str, Any], str]]:
    mgmt = kubesim_factory()
    install_crds(mgmt.kubeconfig)
    clusters = {"dev": kubesim_factory(), "prod": kubesim_factory(token="prod-token-secret-77", tls=True)}
    registry = ApplicationRegistry(mgmt.api_client(), "bosun")
    settings = Settings(
        redis_url=redis_server.url,
        redis_prefix="fleetapi",
        api_read_token=SecretStr(READ),
        api_write_token=SecretStr(WRITE),
    )
    with api_server(settings, registry) as url:
        yield Cli(url), registry, clusters, url


def app(name: str, destination: dict[str, str], project: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://git.example.com/a", "path": "."},
            "destination": {**destination, "namespace": "web"},
        },
    }


def test_cluster_add_list_remove(stack: Any) -> None:
    cli, registry, clusters, url = stack
    for name, server in clusters.items():
        result = cli("cluster", "add", "kubesim", "--name", name, "--kubeconfig", str(server.kubeconfig))
        assert result.returncode == 0, result.stderr
        assert f"cluster {name} ({server.url}) added as Secret cluster-{name}" in result.stdout
    again = cli("cluster", "add", "kubesim", "--name", "dev", "--kubeconfig", str(clusters["dev"].kubeconfig))
    assert again.returncode == 1 and "already registered" in again.stderr
    registry.create(app("a", {"name": "dev"}))
    registry.create(app("b", {"server": clusters["dev"].url}))
    registry.create(app("c", {"name": "prod"}))

    listing = cli("cluster", "list", "-o", "json")
    assert listing.returncode == 0, listing.stderr
    assert "prod-token-secret-77" not in listing.stdout
    rows = {c["name"]: c for c in __import__("json").loads(listing.stdout)["items"]}
    assert set(rows) == {"in-cluster", "dev", "prod"}
    assert rows["dev"]["connectionState"] == "Successful" and rows["dev"]["serverVersion"].startswith("v1.")
    assert (rows["dev"]["applications"], rows["prod"]["applications"]) == (2, 1)
    assert rows["in-cluster"]["connectionState"] == "Successful"
    assert rows["prod"]["server"].startswith("https://")  # TLS with the kubeconfig's CA and a token
    assert rows["prod"]["connectionState"] == "Successful", rows["prod"]["message"]

    registry.write_status("c", {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}, fence=1)
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert 'bosun_cluster_applications{cluster="dev",health="Unknown",sync="Unknown"} 2.0' in metrics
    assert 'bosun_cluster_applications{cluster="prod",health="Healthy",sync="Synced"} 1.0' in metrics

    clusters["prod"].stop()
    table = cli("cluster", "list")
    prod_line = next(line for line in table.stdout.splitlines() if line.startswith("prod"))
    assert "Failed" in prod_line and "cannot reach the cluster" in prod_line
    assert "Successful" in next(line for line in table.stdout.splitlines() if line.startswith("dev"))

    read_only = cli("cluster", "remove", "prod", token=READ)
    assert read_only.returncode == 1 and "403" in read_only.stderr
    assert cli("cluster", "remove", "prod").returncode == 0
    missing = cli("cluster", "remove", "prod")
    assert missing.returncode == 1 and "no cluster named 'prod'" in missing.stderr
    secrets: Any = k8s.CoreV1Api(registry.api.api_client)
    names = [s.metadata.name for s in secrets.list_namespaced_secret("bosun").items]
    assert "cluster-dev" in names and "cluster-prod" not in names


def test_bad_cluster_input_changes_nothing(stack: Any) -> None:
    _cli, registry, _clusters, url = stack
    headers = {"Authorization": f"Bearer {WRITE}"}
    bad = httpx.post(f"{url}/api/v1/clusters", headers=headers,
                     json={"name": "x", "server": "https://x", "config": {"tlsClientConfig": {"caData": "%%"}}})  # fmt: skip
    assert bad.status_code == 400 and "caData is not valid base64" in bad.text
    secrets: Any = k8s.CoreV1Api(registry.api.api_client)
    assert [s.metadata.name for s in secrets.list_namespaced_secret("bosun").items] == []


def test_proj_list_and_get(stack: Any) -> None:
    cli, registry, _clusters, _url = stack
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "team"},
        "spec": {
            "sourceRepos": ["https://git.example.com/*"],
            "destinations": [{"name": "dev", "namespace": "web"}],
            "syncWindows": [
                {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
            ],
        },
    }
    api: Any = k8s.CustomObjectsApi(registry.api.api_client)
    api.create_namespaced_custom_object("argoproj.io", "v1alpha1", "bosun", "appprojects", body)
    registry.create(app("frozen", {"name": "dev"}, project="team"))
    listing = cli("proj", "list")
    assert listing.returncode == 0, listing.stderr
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert set(lines) == {"default", "team"}
    assert "dev/web" in lines["team"]
    shown = cli("proj", "get", "team")
    assert shown.returncode == 0, shown.stderr
    assert "Cluster kinds:        allow (none)" in shown.stdout
    assert "Namespaced kinds:     allow (all)" in shown.stdout
    assert "automated sync of frozen blocked now: sync denied by the active deny window" in shown.stdout
    missing = cli("proj", "get", "nope")
    assert missing.returncode == 1 and "project 'nope' not found" in missing.stderr
