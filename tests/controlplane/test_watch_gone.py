"""A KindWatch whose resourceVersion has left kubesim's watch window gets 410 Gone, lists again and
reports every app seen in the list (events in the gap may be lost); then it follows new changes.
kubesim over HTTP with a small watch window, the real KubeClusterPort and the kubernetes client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client as kclient

from gitops.cluster.kube import KubeClusterPort
from gitops.tracking import APP_LABEL, app_label_value
from workers.watch import KindWatch, WatchKey


def configmap(name: str, labels: dict[str, str]) -> kclient.V1ConfigMap:
    return kclient.V1ConfigMap(metadata=kclient.V1ObjectMeta(name=name, labels=labels), data={"k": "0"})


def test_watch_relists_after_410_gone_and_follows_changes(kubesim_factory: Callable[..., Any]) -> None:
    server = kubesim_factory(watch_window=5)
    core = kclient.CoreV1Api(server.api_client())
    core.create_namespace(kclient.V1Namespace(metadata=kclient.V1ObjectMeta(name="web")))
    long_name = "x" * 70  # no valid label value: the label holds the name's hash
    core.create_namespaced_config_map("web", configmap("tracked", {APP_LABEL: app_label_value(long_name)}))
    stale = str(core.list_namespaced_config_map("web").metadata.resource_version)  # type: ignore[union-attr]
    for n in range(20):  # push `stale` out of the 5-event window
        core.create_namespaced_config_map("web", configmap(f"other-{n}", {}))

    seen: list[tuple[str, str]] = []
    changed = threading.Event()

    def on_change(label: str, why: str) -> None:
        seen.append((label, why))
        changed.set()

    port = KubeClusterPort(server.api_client(), cluster="in-cluster")
    watch = KindWatch(WatchKey("in-cluster", "v1", "ConfigMap"), port, on_change, resource_version=stale)
    watch.start()
    try:
        assert changed.wait(20), "no refresh requested after 410 Gone"
        assert seen[0][0] == app_label_value(long_name) and "410 Gone" in seen[0][1], seen
        seen.clear()
        changed.clear()
        time.sleep(0.5)  # the new watch is established from the listed version
        core.patch_namespaced_config_map("tracked", "web", {"data": {"k": "hand-edited"}})
        core.patch_namespaced_config_map("other-0", "web", {"data": {"k": "unlabelled"}})
        assert changed.wait(20), "the MODIFIED event of the tracked object was not reported"
        time.sleep(0.5)
        assert [label for label, _ in seen] == [app_label_value(long_name)], seen
        assert "ConfigMap web/tracked modified" in seen[0][1]
    finally:
        watch.stop()
