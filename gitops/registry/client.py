"""The Kubernetes API client of the management cluster: kubeconfig (path, context) or in-cluster."""

from __future__ import annotations

import os

from kubernetes import client, config

from gitops.errors import ConfigError
from gitops.settings import Settings


def management_api_client(settings: Settings) -> client.ApiClient:
    """ApiClient for the management cluster: `kubeconfig`/`kube_context` settings, else the standard
    kubeconfig lookup, else in-cluster config when running in a pod."""
    configuration = client.Configuration()
    try:
        if settings.kubeconfig or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_kube_config(
                config_file=settings.kubeconfig,
                context=settings.kube_context,
                client_configuration=configuration,
            )
        else:
            config.load_incluster_config(client_configuration=configuration)
    except (config.ConfigException, OSError) as exc:
        raise ConfigError(
            f"cannot load the management cluster configuration: {exc}",
            target=f"kubeconfig {settings.kubeconfig or '(default)'}",
            hint="set BOSUN_KUBECONFIG / BOSUN_KUBE_CONTEXT, or run in a pod with a service account",
        ) from None
    return client.ApiClient(configuration)
