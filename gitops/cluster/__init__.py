"""The cluster port (`port.ClusterPort`), its kubernetes-client adapter (`kube`) and a test double (`memory`)."""

from gitops.cluster.port import CallCounter, ClusterPort, Obj, ResourceInfo, split_api_version

__all__ = ["CallCounter", "ClusterPort", "Obj", "ResourceInfo", "split_api_version"]
