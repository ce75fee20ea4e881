"""Simulated controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, Pod kubelet, PVC binder,
LoadBalancer Services, Ingress) driven by the Api listener. `start(api, delay=...)` is what the server
calls; see `manager.ControllerManager` for pause/resume and `common.is_failing` for the failure switch."""

from __future__ import annotations

from typing import Any

from kubesim.controllers.common import FAIL_ANNOTATION, FAIL_IMAGE_MARKERS, is_failing
from kubesim.controllers.manager import RECONCILERS, ControllerManager

__all__ = ["FAIL_ANNOTATION", "FAIL_IMAGE_MARKERS", "RECONCILERS", "ControllerManager", "is_failing", "start"]


def start(api: Any, *, delay: float = 0.05, paused: bool = False) -> ControllerManager:
    """Start the controllers on `api`; also hands deleted Services' cluster IPs and node ports back to
    the defaulter's allocators (the real server's repair loops)."""
    manager = ControllerManager(api, delay=delay, paused=paused)
    manager.start()
    defaulter = getattr(getattr(getattr(api, "ext", None), "default", None), "__self__", None)
    release = getattr(defaulter, "release", None)
    if callable(release):

        def give_back(event_type: str, rt: Any, obj: dict[str, Any]) -> None:
            if event_type == "DELETED":
                release(rt, obj)

        api.add_listener(give_back)
    return manager
