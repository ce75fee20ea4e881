"""Clusters as the cluster generator sees them: Argo CD cluster Secrets (label
`argocd.argoproj.io/secret-type: cluster`) plus the local `in-cluster` destination.

A small reading of the Secret's `name`, `server` and `project` fields (base64 `data` or `stringData`)
and its labels and annotations; connection config is not read here (gitops.cluster does that).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
IN_CLUSTER_NAME = "in-cluster"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class ClusterInfo:
    name: str
    server: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    project: str = ""
    from_secret: bool = True


def _field(secret: Mapping[str, Any], key: str) -> str:
    plain = (secret.get("stringData") or {}).get(key)
    if plain is not None:
        return str(plain)
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return ""
    try:
        return base64.b64decode(str(raw), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ""


def is_cluster_secret(secret: Mapping[str, Any]) -> bool:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return labels.get(CLUSTER_SECRET_LABEL) == "cluster"


def clusters_from_secrets(
    secrets: Iterable[Mapping[str, Any]], *, include_local: bool = True
) -> list[ClusterInfo]:
    """Registered clusters, sorted by name; a Secret without a server is skipped. The local cluster
    is added as `in-cluster` unless a Secret registers its server."""
    found: list[ClusterInfo] = []
    for secret in secrets:
        if not is_cluster_secret(secret):
            continue
        meta = secret.get("metadata") or {}
        server = _field(secret, "server").rstrip("/")
        if not server:
            continue
        found.append(
            ClusterInfo(
                name=_field(secret, "name") or server,
                server=server,
                labels=dict(meta.get("labels") or {}),
                annotations=dict(meta.get("annotations") or {}),
                project=_field(secret, "project"),
            )
        )
    if include_local and not any(c.server == IN_CLUSTER_SERVER for c in found):
        found.append(ClusterInfo(IN_CLUSTER_NAME, IN_CLUSTER_SERVER, from_secret=False))
    return sorted(found, key=lambda c: c.name)
