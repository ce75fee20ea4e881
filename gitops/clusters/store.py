"""Cluster Secrets in the management namespace, through the kubernetes client: list, create, delete.

Errors name the Secret or cluster and never carry the Secret's content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gitops.clusters.secrets import SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL, parse_cluster_secret
from gitops.errors import ClusterError, ConfigError

Obj = dict[str, Any]
SELECTOR = f"{SECRET_TYPE_LABEL}={SECRET_TYPE_CLUSTER}"


class ClusterSecretStore:
    def __init__(self, api_client: client.ApiClient, namespace: str) -> None:
        self.api_client = api_client
        self.core = client.CoreV1Api(api_client)
        self.namespace = namespace

    def _error(self, exc: ApiException, what: str) -> ClusterError:
        return ClusterError(
            f"management cluster answered {exc.status} {exc.reason}",
            target=f"{what} in namespace {self.namespace}",
            hint="check Bosun may read and write Secrets in its namespace",
        )

    def list(self) -> list[Obj]:
        """Every cluster Secret (as plain dicts, base64 `data` kept)."""
        try:
            result = self.core.list_namespaced_secret(self.namespace, label_selector=SELECTOR)
        except ApiException as exc:
            raise self._error(exc, "cluster Secrets") from None
        items = self.api_client.sanitize_for_serialization(result).get("items") or []
        return cast(list[Obj], items)

    def create(self, secret: Mapping[str, Any]) -> Obj:
        record = parse_cluster_secret(secret)
        for existing in self.list():
            try:
                other = parse_cluster_secret(existing)
            except ConfigError:
                continue
            if other.name == record.name or other.server == record.server:
                raise ConfigError(
                    f"cluster {other.name} ({other.server}) is already registered",
                    target=f"cluster Secret {other.secret_name}",
                    hint="remove it first with `bosun cluster remove`",
                )
        try:
            created = self.core.create_namespaced_secret(self.namespace, cast(Any, dict(secret)))
        except ApiException as exc:
            if exc.status == 409:
                raise ConfigError(
                    "a Secret with this name already exists",
                    target=f"Secret {(secret.get('metadata') or {}).get('name')}",
                    hint="remove it first or choose another --name",
                ) from None
            raise self._error(exc, "cluster Secret") from None
        return cast(Obj, self.api_client.sanitize_for_serialization(created))

    def delete(self, cluster_name: str) -> str:
        """Delete the Secret registering `cluster_name`; returns the Secret's name."""
        for existing in self.list():
            secret_name = str((existing.get("metadata") or {}).get("name") or "")
            try:
                name = parse_cluster_secret(existing).name
            except ConfigError:
                name = secret_name
            if cluster_name in (name, secret_name):
                try:
                    self.core.delete_namespaced_secret(secret_name, self.namespace)
                except ApiException as exc:
                    if exc.status != 404:
                        raise self._error(exc, f"Secret {secret_name}") from None
                return secret_name
        raise ConfigError(
            f"no cluster named {cluster_name!r} is registered",
            target=f"cluster Secrets in namespace {self.namespace}",
            hint="see `bosun cluster list`",
        )
