"""Git generators against a real git server and a real API server: a directory generator follows
directories added and removed by commits; a matrix of clusters and directories deploys each
directory to each selected cluster; a files generator reads config files; the git-backed RepoTrees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gitserver import GitServer

from gitops.appsets.gitrepo import GitTrees
from gitops.cache import MemoryCache
from gitops.errors import GitError
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver

from .appset_support import Fleet, template

pytestmark = pytest.mark.slow


def git_trees(tmp_path: Path, ttl: float = 0.0) -> GitTrees:
    metrics = GitMetrics()
    resolver = RevisionResolver(MemoryCache(), GitRemote(), ttl, metrics)
    return GitTrees(resolver, Mirrors(tmp_path / "mirrors", 10**9, 3600, metrics=metrics))


def dir_set(repo_url: str) -> dict[str, Any]:
    return {"metadata": {"name": "dirs"}, "spec": {
        "goTemplate": True,
        "generators": [{"git": {"repoURL": repo_url, "revision": "main",
                                "directories": [{"path": "apps/*"}, {"path": "apps/legacy", "exclude": True}]}}],
        "template": template("{{ .path.basenameNormalized }}", {"server": "https://kubernetes.default.svc"},
                             "{{ .path.basenameNormalized }}", path="{{ .path.path }}"),
    }}  # fmt: skip


def test_directory_generator_follows_commits(
    kubesim_factory: Callable[..., Any], git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("fleet")
    first = repo.commit({"apps/api/cm.yaml": "a: 1\n", "apps/web/cm.yaml": "a: 1\n", "apps/legacy/cm.yaml": "",
                         "README.md": "x"}, "two apps")  # fmt: skip
    trees = git_trees(tmp_path)
    fleet = Fleet(kubesim_factory, trees)
    fleet.create_appset(dir_set(git_server.url("fleet")))
    report = fleet.controller.reconcile("dirs")
    assert sorted(report.created) == ["api", "web"], report.summary
    assert fleet.apps()["web"]["spec"]["source"]["path"] == "apps/web"
    assert fleet.appset("dirs")["status"]["bosun"]["revisions"] == {git_server.url("fleet"): first}
    repo.commit({"apps/Worker_2/cm.yaml": "a: 1\n", "apps/api/cm.yaml": None}, "add worker, remove api")
    report = fleet.controller.reconcile("dirs")
    assert report.created == ["worker-2"], report.summary
    assert report.deleted == ["api"] and report.unchanged == ["web"]
    apps = fleet.apps()  # api waits for its resources finalizer (handled by the app deletion)
    assert apps["api"]["metadata"].get("deletionTimestamp") and sorted(apps) == ["api", "web", "worker-2"]
    worker = apps["worker-2"]
    assert (
        worker["spec"]["destination"]["namespace"] == "worker-2"
        and worker["spec"]["source"]["path"] == "apps/Worker_2"
    )


def test_matrix_of_clusters_and_directories_deploys_each(
    kubesim_factory: Callable[..., Any], git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("matrix")
    repo.commit({"apps/api/cm.yaml": "", "apps/web/cm.yaml": ""}, "apps")
    fleet = Fleet(kubesim_factory, git_trees(tmp_path))
    fleet.add_cluster("dev", tier="web")
    fleet.add_cluster("prod", tier="web")
    fleet.create_appset({"metadata": {"name": "matrix"}, "spec": {
        "generators": [{"matrix": {"generators": [
            {"clusters": {"selector": {"matchLabels": {"tier": "web"}}}},
            {"git": {"repoURL": git_server.url("matrix"), "directories": [{"path": "apps/*"}]}},
        ]}}],
        "template": template("{{name}}-{{path.basename}}", {"name": "{{name}}"}, "{{path.basename}}",
                             path="{{path}}"),
    }})  # fmt: skip
    report = fleet.controller.reconcile("matrix")
    assert sorted(report.created) == ["dev-api", "dev-web", "prod-api", "prod-web"], report.summary
    for app in sorted(report.created):
        assert fleet.driver.sync(app) == (True, "Succeeded")
        cluster, namespace = app.split("-")
        assert fleet.configmap(cluster, namespace, "settings") is not None


def test_files_generator_and_unreachable_repositories(
    kubesim_factory: Callable[..., Any], git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("config")
    repo.commit({"envs/dev/config.json": '{"env": {"name": "dev", "replicas": 1}}',
                 "envs/prod/config.json": '{"env": {"name": "prod", "replicas": 3}}'}, "configs")  # fmt: skip
    fleet = Fleet(kubesim_factory, git_trees(tmp_path))
    fleet.create_appset({"metadata": {"name": "files"}, "spec": {
        "generators": [{"git": {"repoURL": git_server.url("config"), "files": [{"path": "envs/*/config.json"}]}}],
        "template": template("cfg-{{env.name}}", {"server": "https://kubernetes.default.svc"}, "{{path.basename}}",
                             info=[{"name": "replicas", "value": "{{env.replicas}}"}]),
    }})  # fmt: skip
    report = fleet.controller.reconcile("files")
    assert sorted(report.created) == ["cfg-dev", "cfg-prod"]
    assert fleet.apps()["cfg-prod"]["spec"]["info"] == [{"name": "replicas", "value": "3"}]
    fleet.patch_appset("files", {"spec": {"generators": [{"git": {
        "repoURL": git_server.url("nope"), "files": [{"path": "*.json"}]}}]}})  # fmt: skip
    report = fleet.controller.reconcile("files")
    assert report.outcome == "error" and "nope" in report.message
    assert sorted(fleet.apps()) == ["cfg-dev", "cfg-prod"]  # nothing deleted on a failed generation
    with pytest.raises(GitError):
        git_trees(tmp_path / "again").tree(git_server.url("nope"), "HEAD")
