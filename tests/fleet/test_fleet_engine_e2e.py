"""End to end with Bosun's own worker (engine Reconciler) and beat as subprocesses, a git server and
kubesim clusters: an ApplicationSet with a cluster generator deploys one app from Git to dev,
staging and prod (cluster Secrets) and a fourth cluster Secret adds a fourth deployment; an app of
apps creates its children wave by wave, updates and prunes them after commits, and deleting the
parent cascades through the resources finalizers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane.conftest import RedisServer, prefix, redis_server, settings  # noqa: F401  (fixtures)
from gitserver import GitServer

from gitops.settings import Settings
from gitops.sync.prune import FOREGROUND_FINALIZER

from .appset_support import NAMESPACE
from .engine_stack import EngineStack, wait_until

pytestmark = pytest.mark.slow
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  version: {v}\n"


@pytest.fixture
def stack(kubesim_factory: Callable[..., Any], redis_server: RedisServer, settings: Settings,  # noqa: F811
          tmp_path: Path) -> Iterator[EngineStack]:  # fmt: skip
    built = EngineStack(kubesim_factory, redis_server.url, settings.redis_prefix, tmp_path)
    yield built
    built.stop()


def deployed(stack: EngineStack, cluster: str) -> Callable[[], Any]:
    return lambda: stack.configmap(cluster, "web", "web-config")


def test_cluster_set_deploys_to_every_cluster_and_a_new_one(
    stack: EngineStack, git_server: GitServer
) -> None:
    repo = git_server.create_repo("web")
    repo.commit({"web/cm.yaml": CM.format(v="v1")}, "v1")
    for env in ("dev", "staging", "prod"):
        stack.add_cluster(env, fleet="web")
    stack.custom.create_namespaced_custom_object("argoproj.io", "v1alpha1", NAMESPACE, "applicationsets", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "web"},
        "spec": {"goTemplate": True,
                 "generators": [{"clusters": {"selector": {"matchLabels": {"fleet": "web"}}}}],
                 "template": {"metadata": {"name": "{{ .name }}-web"}, "spec": {
                     "project": "default", "source": {"repoURL": git_server.url("web"), "path": "web"},
                     "destination": {"name": "{{ .name }}", "namespace": "web"},
                     "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}}}}})  # fmt: skip
    stack.run()
    for env in ("dev", "staging", "prod"):
        wait_until(deployed(stack, env), what=f"web deployed to {env}\n{stack.logs()}")
    stack.add_cluster("qa", fleet="web")
    wait_until(deployed(stack, "qa"), what=f"web deployed to qa\n{stack.logs()}")
    assert set(stack.apps()) == {"dev-web", "staging-web", "prod-web", "qa-web"}
    assert stack.configmap("in-cluster", "web", "web-config") is None


def children(*apps: tuple[str, str, int]) -> str:
    docs = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
             "metadata": {"name": name, "finalizers": [FOREGROUND_FINALIZER],
                          "annotations": {"argocd.argoproj.io/sync-wave": str(wave)}},
             "spec": {"project": "default", "source": {"repoURL": "REPO", "path": path},
                      "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
                      "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}}}
            for name, path, wave in apps]  # fmt: skip
    return yaml.safe_dump_all(docs)


def test_app_of_apps_lifecycle(stack: EngineStack, git_server: GitServer) -> None:
    repo = git_server.create_repo("tree")
    url = git_server.url("tree")
    repo.commit({"apps/a/cm.yaml": CM.format(v="a1"), "apps/a2/cm.yaml": CM.format(v="a2"),
                 "apps/b/cm.yaml": CM.format(v="b1"),
                 "root/children.yaml": children(("child-a", "apps/a", 0), ("child-b", "apps/b", 1)).replace("REPO", url)},
                "two children")  # fmt: skip
    stack.registry.create({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                           "metadata": {"name": "root", "finalizers": [FOREGROUND_FINALIZER]},
                           "spec": {"project": "default", "source": {"repoURL": url, "path": "root"},
                                    "destination": {"server": "https://kubernetes.default.svc", "namespace": NAMESPACE},
                                    "syncPolicy": {"automated": {"prune": True}}}})  # fmt: skip
    stack.run()

    def version(namespace: str) -> str | None:
        cm = stack.configmap("in-cluster", namespace, "web-config")
        return (cm or {}).get("data", {}).get("version") if cm else None

    wait_until(
        lambda: version("child-a") == "a1" and version("child-b") == "b1",
        what=f"children deployed\n{stack.logs()}",
    )
    wait_until(lambda: (stack.apps()["root"].get("status") or {}).get("health", {}).get("status") == "Healthy",
               what="root Healthy")  # fmt: skip
    a, b = stack.apps()["child-a"], stack.apps()["child-b"]
    assert a["metadata"]["namespace"] == NAMESPACE and b["metadata"]["namespace"] == NAMESPACE

    repo.commit(
        {"root/children.yaml": children(("child-a", "apps/a2", 0)).replace("REPO", url)}, "drop b, move a"
    )
    wait_until(lambda: version("child-a") == "a2", what=f"child-a updated\n{stack.logs()}")
    wait_until(lambda: "child-b" not in stack.apps() and version("child-b") is None,
               what=f"child-b pruned with its resources\n{stack.logs()}")  # fmt: skip

    stack.registry.delete("root", propagation="Background")
    wait_until(lambda: not stack.apps(), what=f"root and child-a deleted\n{stack.logs()}")
    assert version("child-a") is None
