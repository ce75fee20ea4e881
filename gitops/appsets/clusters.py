"""Clusters as the cluster generator sees them: Argo CD cluster Secrets (label
`argocd.argoproj.io/secret-type: cluster`) plus the local `in-cluster` destination.

Parsing is gitops.clusters' (`ClusterCatalog`); this module adds the `project` field and maps
records to what generators need.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.clusters.catalog import ClusterCatalog

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


def _project(secret: Mapping[str, Any]) -> str:
    plain = (secret.get("stringData") or {}).get("project")
    if plain is not None:
        return str(plain)
    try:
        return base64.b64decode(str((secret.get("data") or {}).get("project") or ""), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ""


def is_cluster_secret(secret: Mapping[str, Any]) -> bool:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return labels.get(CLUSTER_SECRET_LABEL) == "cluster"


def clusters_from_secrets(secrets: Iterable[Mapping[str, Any]]) -> list[ClusterInfo]:
    """Registered clusters (gitops.clusters' catalog: unusable Secrets are left out), sorted by name,
    with the local `in-cluster` destination unless a Secret registers its server."""
    usable = [s for s in secrets if is_cluster_secret(s)]
    projects = {str((s.get("metadata") or {}).get("name") or ""): _project(s) for s in usable}
    catalog = ClusterCatalog.from_secrets(usable)
    found = [
        ClusterInfo(record.name, record.server, dict(record.labels), dict(record.annotations),
                    projects.get(record.secret_name, ""), from_secret=bool(record.secret_name))
        for record in catalog.clusters
    ]  # fmt: skip
    return sorted(found, key=lambda c: c.name)
