"""Building the official client's `ApiClient` for `gitops.cluster.kube.KubeClusterPort`: from a kubeconfig,
or from an Argo CD cluster Secret (`ClusterConnection`, PEM material written to mode-0600 files in the
port's private directory), and the retry policy every port's client gets (connection failures only,
never a retry on a status, so throttling reaches the engine)."""

from __future__ import annotations

import base64
import os

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from urllib3.util.retry import Retry

from gitops.cluster.connection import ClusterConnection
from gitops.errors import ClusterError


def from_kubeconfig(path: str | None, context: str | None) -> k8s_client.ApiClient:
    try:
        return k8s_config.new_client_from_config(config_file=path, context=context)
    except Exception as exc:  # the loader raises ConfigException, TypeError, OSError...
        raise ClusterError(
            f"cannot load kubeconfig: {type(exc).__name__}",
            target=path or "default kubeconfig",
            hint="check the kubeconfig path and context",
        ) from None


def for_connection(connection: ClusterConnection, work_dir: str) -> k8s_client.ApiClient:
    """A client for a registered cluster; its PEM files go to `work_dir` (the caller removes it)."""
    configuration = k8s_client.Configuration()
    configuration.host = connection.server
    if connection.bearer_token:
        configuration.api_key = {"authorization": f"Bearer {connection.bearer_token}"}
    elif connection.username:
        basic = base64.b64encode(f"{connection.username}:{connection.password or ''}".encode()).decode()
        configuration.api_key = {"authorization": f"Basic {basic}"}
    for attribute, pem in (
        ("ssl_ca_cert", connection.ca_pem),
        ("cert_file", connection.cert_pem),
        ("key_file", connection.key_pem),
    ):
        if pem:
            path = os.path.join(work_dir, attribute + ".pem")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                handle.write(pem)
            setattr(configuration, attribute, path)
    configuration.verify_ssl = not connection.insecure
    if connection.server_name:
        configuration.tls_server_name = connection.server_name
    return k8s_client.ApiClient(configuration)


def no_status_retries(api_client: k8s_client.ApiClient) -> None:
    """urllib3's default retries a 429/503 after sleeping its Retry-After, hiding throttling from the
    engine (which must back off itself) and blocking the worker: retry only connection failures (and
    read failures of idempotent methods), never on a status."""
    pool_manager = api_client.rest_client.pool_manager
    pool_manager.connection_pool_kw["retries"] = Retry(
        total=2,
        connect=2,
        read=2,
        redirect=0,
        status=0,
        other=0,
        status_forcelist=(),
        respect_retry_after_header=False,
    )
    pool_manager.clear()
