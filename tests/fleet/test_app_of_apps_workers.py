"""Cascading deletion in real worker and beat subprocesses: deleting an app of apps with the
resources finalizer deletes its child Applications, whose own finalizers delete their resources
on the dev kubesim cluster, then every finalizer is released; an app without the finalizer leaves
its resources. (The children were deployed by the engine in the test process: workers here run the
control-plane probe reconciler, so only `bosun.app_finalize` does real work.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from controlplane.conftest import RedisServer, prefix, redis_server, settings  # noqa: F401  (fixtures)
from controlplane.workers_proc import bosun_env, start_beat, start_worker
from kubernetes import client

from gitops.settings import Settings
from gitops.sync.prune import FOREGROUND_FINALIZER

from .app_of_apps_support import TreeDriver
from .appset_support import NAMESPACE, install_crds

pytestmark = pytest.mark.slow


def wait_until(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_workers_cascade_the_resources_finalizer(
    kubesim_factory: Callable[..., Any], redis_server: RedisServer, settings: Settings, tmp_path: Path,  # noqa: F811
) -> None:  # fmt: skip
    mgmt, dev = kubesim_factory(), kubesim_factory()
    install_crds(mgmt.kubeconfig, NAMESPACE)
    driver = TreeDriver(mgmt, NAMESPACE)
    driver.add_cluster("dev", dev)
    core = client.CoreV1Api(dev.api_client())

    def configmaps(namespace: str) -> list[str]:
        items = core.list_namespaced_config_map(namespace).to_dict()["items"]
        return sorted(
            str(c["metadata"]["name"]) for c in items if c["metadata"]["name"] != "kube-root-ca.crt"
        )

    def apps() -> set[str]:
        return {a["metadata"]["name"] for a in driver.registry.applications()}

    driver.create_app("root", {"server": "https://kubernetes.default.svc", "namespace": NAMESPACE},
                      "apps-two-children-waves.yaml")  # fmt: skip
    driver.registry.patch("root", {"metadata": {"finalizers": [FOREGROUND_FINALIZER]}})
    synced: set[str] = set()

    def children() -> None:
        for name in apps() - synced - {"root", "keep"}:
            synced.add(name)
            assert driver.sync(name) == (True, "Succeeded")

    assert driver.sync_stepwise("root", children) == "Succeeded"
    driver.create_app("keep", {"name": "dev", "namespace": "kept"}, "configmap-one.yaml")
    driver.registry.patch("keep", {"spec": {"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}}})
    assert driver.sync("keep") == (True, "Succeeded")
    assert apps() == {"root", "child-a", "child-b", "keep"}
    assert configmaps("team-a") == configmaps("team-b") == configmaps("kept") == ["settings"]

    env = bosun_env(redis_server.url, settings.redis_prefix, mgmt.kubeconfig, tick_seconds="0.3",
                    sync_step_countdown_seconds="0.2", refresh_interval_seconds="3600")  # fmt: skip
    worker = start_worker(env, tmp_path / "worker.log", "finalizer")
    beat = start_beat(env, tmp_path / "beat.log", tmp_path)
    try:
        driver.delete("keep")
        driver.delete("root")
        wait_until(lambda: not apps(), what=f"every app deleted (left: {apps()})")
        wait_until(
            lambda: configmaps("team-a") == configmaps("team-b") == [], what="children's resources deleted"
        )
        assert configmaps("kept") == ["settings"]  # no finalizer: resources stay
    finally:
        beat.stop()
        worker.stop()
    log = worker.text()
    assert "bosun.app_finalize" in log and "finalized" in log
