"""Registered clusters: Argo CD cluster Secrets parsed into records (`secrets`), destination lookup
(`catalog`), one rate-limited port per cluster per process (`ports`), connection probes (`probe`)
and the Secrets' store in the management namespace (`store`)."""

from gitops.clusters.catalog import ClusterCatalog
from gitops.clusters.ports import ClusterPorts
from gitops.clusters.probe import ClusterState, probe, unreachable_message
from gitops.clusters.secrets import (
    IN_CLUSTER_NAME,
    SECRET_TYPE_LABEL,
    ClusterRecord,
    cluster_secret,
    parse_cluster_secret,
)

__all__ = [
    "IN_CLUSTER_NAME",
    "SECRET_TYPE_LABEL",
    "ClusterCatalog",
    "ClusterPorts",
    "ClusterRecord",
    "ClusterState",
    "cluster_secret",
    "parse_cluster_secret",
    "probe",
    "unreachable_message",
]
