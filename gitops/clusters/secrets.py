"""Argo CD cluster Secrets <-> `ClusterRecord`s.

A cluster Secret lives in the management namespace, labelled `argocd.argoproj.io/secret-type:
cluster`, with data keys `name`, `server`, `namespaces` (comma-separated, optional), `config` (JSON:
bearerToken, username/password, tlsClientConfig{caData, certData, keyData, insecure, serverName}).
`parse_cluster_secret` reads one (base64 `data`, or `stringData`); `cluster_secret` builds one.
Neither ever puts a credential into an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from gitops.cluster.connection import IN_CLUSTER_SERVER, ClusterConnection
from gitops.errors import ConfigError

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
SECRET_TYPE_CLUSTER = "cluster"
IN_CLUSTER_NAME = "in-cluster"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,252}$")  # kubeconfig context names too


@dataclass(frozen=True)
class ClusterRecord:
    """One registered cluster. `connection` is None for the implicit in-cluster destination (the
    management cluster's own configuration); `digest` changes whenever the Secret's content does."""

    name: str
    server: str
    namespaces: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    secret_name: str = ""
    connection: ClusterConnection | None = field(default=None, repr=False)
    digest: str = ""

    @property
    def in_cluster(self) -> bool:
        return self.connection is None


def in_cluster_record() -> ClusterRecord:
    return ClusterRecord(name=IN_CLUSTER_NAME, server=IN_CLUSTER_SERVER, digest="in-cluster")


def _field(secret: Mapping[str, Any], key: str, where: str) -> str:
    data = secret.get("data") or {}
    if key in data and data[key] is not None:
        try:
            return base64.b64decode(str(data[key]), validate=True).decode()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ConfigError(
                f"data.{key} is not valid base64 text", target=where, hint="re-create the cluster Secret"
            ) from None
    return str((secret.get("stringData") or {}).get(key) or "")


def parse_cluster_secret(secret: Mapping[str, Any]) -> ClusterRecord:
    """A ClusterRecord from a cluster Secret; ConfigError (naming the Secret) when unusable."""
    meta = secret.get("metadata") or {}
    secret_name = str(meta.get("name") or "")
    where = f"cluster Secret {secret_name}"
    server = _field(secret, "server", where).strip()
    name = _field(secret, "name", where).strip() or server
    raw_config = _field(secret, "config", where) or "{}"
    try:
        config = orjson.loads(raw_config)
    except orjson.JSONDecodeError:
        raise ConfigError(
            "data.config is not valid JSON", target=where, hint="store Argo CD's cluster config JSON"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError("data.config must be a JSON object", target=where, hint="fix the Secret")
    if server.rstrip("/") == IN_CLUSTER_SERVER and not _has_credentials(config):
        connection = None  # Argo CD: the in-cluster Secret only renames/labels the local cluster
    else:
        try:
            connection = ClusterConnection.from_argo_config(name, server, config)
        except ConfigError as err:
            raise ConfigError(err.message, target=f"{where} ({err.target})", hint=err.hint) from None
    namespaces = tuple(n.strip() for n in _field(secret, "namespaces", where).split(",") if n.strip())
    digest = hashlib.blake2b(orjson.dumps([server, name, raw_config, namespaces]), digest_size=12).hexdigest()
    return ClusterRecord(
        name=name,
        server=server.rstrip("/"),
        namespaces=namespaces,
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        secret_name=secret_name,
        connection=connection,
        digest=digest,
    )


def _has_credentials(config: Mapping[str, Any]) -> bool:
    tls = config.get("tlsClientConfig") or {}
    return bool(config.get("bearerToken") or config.get("username") or tls.get("certData"))


def secret_name_for(cluster_name: str) -> str:
    """A valid Secret name for a cluster (`cluster-<name>`, lower-cased, invalid characters dashed)."""
    slug = re.sub(r"[^a-z0-9.-]+", "-", cluster_name.lower()).strip("-.") or "cluster"
    return f"cluster-{slug}"[:253]


def cluster_secret(
    name: str,
    server: str,
    config: Mapping[str, Any],
    *,
    namespace: str,
    namespaces: tuple[str, ...] = (),
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Secret registering a cluster (validated: the same parse as a worker does)."""
    if not name or not _NAME.match(name):
        raise ConfigError(
            f"cluster name {name!r} is not valid",
            target="cluster name",
            hint="use letters, digits and - _ . : @ (e.g. prod-eu or gke_project_zone_name)",
        )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": secret_name_for(name),
            "namespace": namespace,
            "labels": {**(labels or {}), SECRET_TYPE_LABEL: SECRET_TYPE_CLUSTER},
        },
        "data": {
            key: base64.b64encode(value.encode()).decode()
            for key, value in (
                ("name", name),
                ("server", server),
                ("config", orjson.dumps(dict(config)).decode()),
                ("namespaces", ",".join(namespaces)),
            )
            if value
        },
    }
    parse_cluster_secret(secret)
    return secret
