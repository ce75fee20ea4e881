"""The watch-fed cache of AppProjects, cluster Secrets and repository Secrets (gitops.registry.informer,
gitops.registry.watched) against kubesim over HTTP: one LIST then WATCH sees adds, changes and
deletes; 410 Gone re-lists; a broken or silent watch makes readers LIST directly instead of serving
what the informer cannot vouch for."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from controlplane.test_workers import wait_until
from kubernetes import client as kclient

from gitops.clusters.secrets import cluster_secret
from gitops.registry.informer import Informer
from gitops.registry.watched import ManagementCache
from gitops.source.credentials import CredentialStore
from gitops.source.live_credentials import RefreshingCredentials

from .appset_support import NAMESPACE, install_crds

Obj = dict[str, Any]


def project(name: str, deny_kinds: tuple[str, ...] = ()) -> Obj:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": name},
            "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                     "namespaceResourceBlacklist": [{"group": "", "kind": k} for k in deny_kinds]}}  # fmt: skip


def repo_secret(name: str, url: str, password: str) -> Obj:
    data = {"type": "git", "url": url, "username": "bosun", "password": password}
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": "repository"}},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}  # fmt: skip


class Mgmt:
    """kubesim with Bosun's CRDs, clients for writing, and the ManagementCache under test."""

    def __init__(self, server: Any, **options: Any) -> None:
        install_crds(server.kubeconfig, NAMESPACE)
        self.server = server
        api = server.api_client()
        self.custom, self.core = kclient.CustomObjectsApi(api), kclient.CoreV1Api(api)
        self.cache = ManagementCache(server.api_client(), NAMESPACE, **options)

    def create_project(self, doc: Obj) -> None:
        self.custom.create_namespaced_custom_object("argoproj.io", "v1alpha1", NAMESPACE, "appprojects", doc)

    def patch_project(self, name: str, patch: Obj) -> None:
        self.custom.patch_namespaced_custom_object(
            "argoproj.io", "v1alpha1", NAMESPACE, "appprojects", name, patch
        )

    def delete_project(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object("argoproj.io", "v1alpha1", NAMESPACE, "appprojects", name)


@pytest.fixture
def mgmt(kubesim_server: Any) -> Iterator[Mgmt]:
    built = Mgmt(kubesim_server, watch_seconds=2, grace_seconds=2.0)
    yield built
    built.cache.stop()


def denied(cache: ManagementCache, name: str) -> list[str]:
    spec = (cache.projects().get(name) or {}).get("spec") or {}
    return [str(rule.get("kind")) for rule in spec.get("namespaceResourceBlacklist") or []]


def test_one_list_then_the_watch_sees_adds_changes_and_deletes(mgmt: Mgmt) -> None:
    mgmt.create_project(project("team-a"))
    cache = mgmt.cache
    assert "team-a" in cache.projects()
    informer = cache.project_informer
    assert informer.current() is not None and informer.stats["lists"] == 1

    mgmt.create_project(project("team-b"))
    wait_until(lambda: "team-b" in cache.projects(), what="the new AppProject")
    mgmt.patch_project("team-a", {"spec": {"namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}]}})
    wait_until(lambda: denied(cache, "team-a") == ["Secret"], what="the new deny rule")
    mgmt.delete_project("team-b")
    wait_until(lambda: "team-b" not in cache.projects(), what="the deleted AppProject gone")

    mgmt.core.create_namespaced_secret(NAMESPACE, cluster_secret(
        "east", "https://east.example", {"bearerToken": "t0"}, namespace=NAMESPACE))  # fmt: skip
    wait_until(lambda: cache.catalog().by_name("east") is not None, what="the new cluster Secret")
    assert cache.catalog().by_name("east").server == "https://east.example"  # type: ignore[union-attr]

    time.sleep(2.5)  # past one watch request's end: the informer resumes from its version, no LIST
    assert "team-a" in cache.projects()
    for each in cache.informers[:2]:
        assert each.stats["lists"] == 1 and each.stats["direct_lists"] == 0, each.stats
        assert each.stats["relists"] == 0, each.stats
    assert informer.stats["watches"] >= 2


def test_a_rotated_repository_credential_is_used_without_a_list(mgmt: Mgmt) -> None:
    url = "https://git.example/team/app.git"
    mgmt.core.create_namespaced_secret(NAMESPACE, repo_secret("repo-app", url, "old-password"))
    informer = mgmt.cache.repository_secrets
    creds = RefreshingCredentials(
        lambda: informer.list_now().items, CredentialStore(), watched=informer.current
    )
    assert creds.for_url(url).password == "old-password"  # type: ignore[union-attr]

    mgmt.core.replace_namespaced_secret("repo-app", NAMESPACE, repo_secret("repo-app", url, "new-password"))
    wait_until(lambda: creds.for_url(url).password == "new-password", what="the rotated password")  # type: ignore[union-attr]
    mgmt.core.create_namespaced_secret(NAMESPACE, {"metadata": {"name": "other"}, "stringData": {"x": "y"}})
    assert informer.stats["lists"] == 1 and informer.stats["direct_lists"] == 0, informer.stats


def test_410_gone_lists_again_and_catches_up(kubesim_factory: Callable[..., Any]) -> None:
    """A WATCH resumed from a version older than the server's window (5 events here) gets 410 Gone:
    the informer lists again and has the changes made in between."""
    built = Mgmt(kubesim_factory(watch_window=5), watch_seconds=1, grace_seconds=5.0)
    try:
        built.create_project(project("team-a"))
        cache = built.cache
        assert "team-a" in cache.projects()
        informer = cache.project_informer
        admin = built.server.admin
        admin.add_fault(verbs=["watch"], resources=["appprojects"], latency=1.5)  # every re-watch waits
        time.sleep(1.2)  # the running watch ends; the next one is held back by the latency
        built.create_project(project("team-late", deny_kinds=("Secret",)))
        for i in range(8):  # push the window past the informer's last version
            built.core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": f"filler-{i}"}})
        wait_until(lambda: informer.stats["expired"] >= 1, what="a 410 Gone answered to the re-watch")
        admin.clear_faults()
        wait_until(lambda: informer.current() is not None, what="synced again")
        assert denied(cache, "team-late") == ["Secret"]
        assert informer.stats["lists"] >= 2 and informer.stats["relists"] >= 1, informer.stats
    finally:
        built.cache.stop()


def test_readers_list_directly_while_the_watch_is_down(kubesim_server: Any) -> None:
    built = Mgmt(kubesim_server, watch_seconds=2, grace_seconds=2.0, backoff=(60.0, 60.0))
    try:
        built.create_project(project("team-a"))
        informer = built.cache.project_informer
        built.server.admin.add_fault(verbs=["watch"], resources=["appprojects"], error_rate=1.0, status=503)
        assert "team-a" in built.cache.projects()  # the first LIST went through
        wait_until(lambda: informer.stats["relists"] >= 1, what="the broken watch noticed")
        assert informer.current() is None  # backing off before the next LIST: not synced

        built.create_project(project("team-new", deny_kinds=("Secret",)))
        before = informer.stats["direct_lists"]
        assert denied(built.cache, "team-new") == ["Secret"]  # seen at once, by a direct LIST
        assert informer.stats["direct_lists"] == before + 1
    finally:
        built.cache.stop()


def test_a_silent_watch_is_not_trusted_past_the_staleness_bound(kubesim_server: Any) -> None:
    install_crds(kubesim_server.kubeconfig, NAMESPACE)
    now = [1000.0]
    custom = kclient.CustomObjectsApi(kubesim_server.api_client())
    informer = Informer("AppProjects", custom.list_namespaced_custom_object,
                        ("argoproj.io", "v1alpha1", NAMESPACE, "appprojects"),
                        watch_seconds=2, grace_seconds=3.0, clock=lambda: now[0])  # fmt: skip
    try:
        assert informer.current() is not None
        now[0] += 4.9  # heard from the server 4.9 s ago: within 2 + 3 s
        assert informer.current() is not None
        now[0] += 0.2  # 5.1 s: no longer
        assert informer.current() is None
        direct = informer.snapshot()
        assert direct.revision is None and informer.stats["direct_lists"] == 1
    finally:
        informer.stop()


def test_a_forked_child_builds_its_own_store_and_thread(
    kubesim_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = Mgmt(kubesim_server, watch_seconds=2, grace_seconds=2.0)
    try:
        built.create_project(project("team-a"))
        informer = built.cache.project_informer
        parent = informer.current()
        assert parent is not None and parent.revision is not None
        parent_thread = informer._state.thread
        real = __import__("os").getpid()
        monkeypatch.setattr("gitops.registry.informer.os.getpid", lambda: real + 1)
        child = informer.current()  # as in a prefork child: new state, new thread, a first LIST
        assert child is not None and child.revision is not None and child.revision > parent.revision
        assert informer._state.thread is not parent_thread and "team-a" in built.cache.projects()
    finally:
        built.cache.stop()
