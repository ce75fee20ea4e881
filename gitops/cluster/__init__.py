"""The cluster port (`port.ClusterPort`), its kubernetes-client adapter (`kube.KubeClusterPort` over
`kube_transport` and `kube_client`, the only modules of this package importing `kubernetes`), connections
from Argo CD cluster Secrets, a per-process pool of ports, a QPS/burst limiter, and a test double
(`memory`)."""

from gitops.cluster.connection import IN_CLUSTER_SERVER, ClusterConnection
from gitops.cluster.pool import PortPool
from gitops.cluster.port import CallCounter, ClusterPort, Obj, ResourceInfo, split_api_version
from gitops.cluster.ratelimit import TokenBucket

__all__ = [
    "IN_CLUSTER_SERVER",
    "CallCounter",
    "ClusterConnection",
    "ClusterPort",
    "Obj",
    "PortPool",
    "ResourceInfo",
    "TokenBucket",
    "split_api_version",
]
