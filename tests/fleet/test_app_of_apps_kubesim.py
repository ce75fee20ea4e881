"""App of Apps against kubesim: a parent registers its child Applications in the management
namespace, wave by wave on the children's health; updates and prunes them; cascading deletion with
the resources finalizer (reverse waves, Delete=false kept, foreground and background) and without.
Engine level (SyncEngine, compare, cluster ports) driven from the test process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from gitops.errors import SpecError
from gitops.sync.prune import BACKGROUND_FINALIZER, FOREGROUND_FINALIZER

from .app_of_apps_support import TreeDriver
from .appset_support import NAMESPACE, install_crds

pytestmark = pytest.mark.slow
IN_CLUSTER = {"server": "https://kubernetes.default.svc", "namespace": NAMESPACE}


class Tree:
    def __init__(self, start: Callable[..., Any]) -> None:
        self.mgmt = start()
        install_crds(self.mgmt.kubeconfig, NAMESPACE)
        self.driver = TreeDriver(self.mgmt, NAMESPACE)
        self.dev = start()
        self.driver.add_cluster("dev", self.dev)
        self.core = client.CoreV1Api(self.dev.api_client())

    def configmaps(self, namespace: str) -> list[str]:
        items = self.core.list_namespaced_config_map(namespace).to_dict()["items"]
        return sorted(
            str(c["metadata"]["name"]) for c in items if c["metadata"]["name"] != "kube-root-ca.crt"
        )

    def apps(self) -> dict[str, Any]:
        return {a["metadata"]["name"]: a for a in self.driver.registry.applications()}

    def run_children(self, seen: list[tuple[str, ...]]) -> Callable[[], None]:
        """Between parent steps: sync each child once it was seen for 3 steps (so a parent that did not
        wait for health would run ahead), and finalize terminating ones."""
        synced: set[str] = set()
        sightings: dict[str, int] = {}

        def between() -> None:
            apps = self.apps()
            seen.append(tuple(sorted(n for n in apps if n.startswith("child-"))))
            if "child-b" in apps and "child-b" not in sightings and "child-a" in apps:
                assert (apps["child-a"].get("status") or {}).get("health", {}).get("status") == "Healthy"
            for name, app in apps.items():
                if not name.startswith("child-") or app["metadata"].get("deletionTimestamp"):
                    continue
                sightings[name] = sightings.get(name, 0) + 1
                if name not in synced and sightings[name] >= 3:
                    synced.add(name)
                    assert self.driver.sync(name) == (True, "Succeeded")
            self.driver.finalize_all()

        return between

    def delete_until_gone(self, name: str, limit: float = 30) -> list[list[str]]:
        """Delete the app and run finalizer steps until it is gone; the keys deleted per step."""
        self.driver.delete(name)
        deleted: list[list[str]] = []
        deadline = time.monotonic() + limit
        while name in self.apps():
            assert time.monotonic() < deadline, f"{name} still present: {self.apps()[name]['metadata']}"
            step = self.driver.finalize(name)
            if step is not None and step.deleted:
                deleted.append(step.deleted)
            self.driver.finalize_all(exclude=name)
            time.sleep(0.05)
        return deleted


def test_parent_creates_updates_and_prunes_children_then_cascades(
    kubesim_factory: Callable[..., Any],
) -> None:
    tree = Tree(kubesim_factory)
    tree.driver.create_app("root", IN_CLUSTER, "apps-two-children-waves.yaml")
    tree.driver.registry.patch("root", {"metadata": {"finalizers": [FOREGROUND_FINALIZER]}})
    seen: list[tuple[str, ...]] = []
    assert tree.driver.sync_stepwise("root", tree.run_children(seen)) == "Succeeded"
    # wave 1 (child-b) was created only after wave 0 (child-a) existed and reported its health
    first_b = next(i for i, names in enumerate(seen) if "child-b" in names)
    assert first_b > 0 and "child-a" in seen[first_b - 1]
    apps = tree.apps()
    assert apps["child-a"]["metadata"]["namespace"] == NAMESPACE
    assert apps["child-a"]["status"]["health"]["status"] == "Healthy"
    assert tree.configmaps("team-a") == ["settings"] and tree.configmaps("team-b") == ["settings"]
    root = apps["root"]["status"]
    assert root["health"]["status"] == "Healthy" and root["sync"]["status"] == "Synced"
    assert {r["name"] for r in root["resources"]} == {"child-a", "child-b"}

    tree.driver.registry.patch("root", {"metadata": {"annotations": {
        "fleet-test/manifests": "apps-child-a-changed-child-b-removed.yaml"}}})  # fmt: skip
    assert tree.driver.sync_stepwise("root", tree.run_children([])) == "Succeeded"
    apps = tree.apps()
    assert "child-b" not in apps, "pruned child-b is gone once its finalizer deleted its resources"
    assert tree.configmaps("team-b") == []
    assert apps["child-a"]["spec"]["source"]["path"] == "child-a-v2"
    assert tree.driver.sync("child-a") == (True, "Succeeded")
    assert tree.configmaps("team-a") == ["extra", "settings"]

    tree.delete_until_gone("root")
    assert "child-a" not in tree.apps() and tree.configmaps("team-a") == []


def test_deletion_reverse_waves_delete_false_and_no_finalizer(kubesim_factory: Callable[..., Any]) -> None:
    tree = Tree(kubesim_factory)
    dest = {"name": "dev", "namespace": "waves"}
    for name, finalizer in (("fg", FOREGROUND_FINALIZER), ("bg", BACKGROUND_FINALIZER), ("keep", None)):
        tree.driver.create_app(name, {**dest, "namespace": name}, "configmaps-waves-delete-false-kept.yaml")
        tree.driver.registry.patch(name, {"spec": {"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
                                          "metadata": {"finalizers": [finalizer] if finalizer else None}})  # fmt: skip
        assert tree.driver.sync(name) == (True, "Succeeded")
        assert tree.configmaps(name) == ["early", "kept", "late"]
    for name in ("fg", "bg"):
        steps = tree.delete_until_gone(name)
        assert steps == [[f"core/ConfigMap {name}/late"], [f"core/ConfigMap {name}/early"]]
        assert tree.configmaps(name) == ["kept"]  # Delete=false stays
    assert tree.delete_until_gone("keep") == []
    assert tree.configmaps("keep") == ["early", "kept", "late"]  # no finalizer: resources stay


def test_children_must_land_in_the_management_namespace(kubesim_factory: Callable[..., Any]) -> None:
    tree = Tree(kubesim_factory)
    tree.driver.create_app("bad-root", IN_CLUSTER, "apps-child-in-other-namespace-refused.yaml")
    app = tree.driver.registry.application("bad-root")
    assert app is not None
    with pytest.raises(SpecError, match="declares namespace argocd"):
        tree.driver._desired(app)
    tree.driver.create_app("remote-root", {"name": "dev", "namespace": "x"}, "apps-two-children-waves.yaml")
    remote = tree.driver.registry.application("remote-root")
    assert remote is not None
    with pytest.raises(SpecError, match="must target the management cluster"):
        tree.driver._desired(remote)
    assert set(tree.apps()) == {"bad-root", "remote-root"}


def test_delete_confirm_waits_for_approval(kubesim_factory: Callable[..., Any]) -> None:
    tree = Tree(kubesim_factory)
    tree.driver.create_app("careful", {"name": "dev", "namespace": "careful"},
                           "configmap-delete-confirm-waits-for-approval.yaml")  # fmt: skip
    tree.driver.registry.patch("careful", {"spec": {"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
                                           "metadata": {"finalizers": [FOREGROUND_FINALIZER]}})  # fmt: skip
    assert tree.driver.sync("careful") == (True, "Succeeded")
    tree.driver.delete("careful")
    for _ in range(20):
        step = tree.driver.finalize("careful")
        assert step is not None and not step.done
        if "approval" in step.message:
            break
        time.sleep(0.05)
    assert (
        step is not None
        and "waiting for deletion approval of core/ConfigMap careful/precious" in step.message
    )
    assert tree.configmaps("careful") == ["precious"] and "careful" in tree.apps()
    tree.driver.registry.patch("careful", {"metadata": {"annotations": {
        "argocd.argoproj.io/deletion-approved": "2026-11-26T08:00:00Z"}}})  # fmt: skip
    deadline = time.monotonic() + 20
    while "careful" in tree.apps():
        assert time.monotonic() < deadline
        tree.driver.finalize("careful")
        time.sleep(0.05)
    assert tree.configmaps("careful") == []
