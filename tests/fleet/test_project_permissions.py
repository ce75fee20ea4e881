"""AppProject rules as Argo CD applies them: globs, `!` negation, destinations, kind lists."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.errors import SpecError
from gitops.projects import (
    AppProject,
    destination_permitted,
    forbidden_resources,
    kind_permitted,
    mark_forbidden,
    resolve_project,
    source_permitted,
    spec_violations,
)
from gitops.projects.globs import glob_match


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "https://github.com/org/repo", True),
        ("https://github.com/org/*", "https://github.com/org/a/b", True),
        ("prod-?", "prod-1", True),
        ("prod-?", "prod-10", False),
        ("{dev,staging}", "staging", True),
        ("{dev,staging}", "prod", False),
        ("team-[a-c]", "team-b", True),
        ("team-[!a-c]", "team-b", False),
        ("a.b", "axb", False),
    ],
)
def test_glob(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def project(**spec: Any) -> AppProject:
    return AppProject.from_resource({"metadata": {"name": "team"}, "spec": spec})


def test_source_repos_globs_and_negation() -> None:
    team = project(sourceRepos=["https://git.example.com/team/*", "!https://git.example.com/team/secret*"])
    assert source_permitted(team, "https://git.example.com/team/app.git")
    assert source_permitted(team, "git@git.example.com:team/app")  # normalised before matching
    assert not source_permitted(team, "https://git.example.com/team/secret-stuff")
    assert not source_permitted(team, "https://git.example.com/other/app")
    only_deny = project(sourceRepos=["!https://evil.example.com/*"])
    assert not source_permitted(only_deny, "https://git.example.com/x")  # deny rules alone permit nothing
    with_star = project(sourceRepos=["!https://evil.example.com/*", "*"])
    assert source_permitted(with_star, "https://git.example.com/x")
    assert not source_permitted(with_star, "https://evil.example.com/x")
    assert not source_permitted(project(), "https://git.example.com/x")


def test_destinations_by_server_or_name_with_globs_and_deny() -> None:
    team = project(
        destinations=[
            {"server": "https://*.dev.example.com", "namespace": "team-*"},
            {"name": "prod", "namespace": "team-web"},
            {"server": "*", "namespace": "!kube-system"},
            {"server": "*", "namespace": "*"},
        ]
    )
    assert destination_permitted(team, "https://a.dev.example.com", "a", "team-x")
    assert destination_permitted(team, "https://p.example.com", "prod", "team-web")
    assert not destination_permitted(team, "https://p.example.com", "prod", "kube-system")
    assert destination_permitted(team, "https://p.example.com", "prod", "anything")
    strict = project(destinations=[{"server": "https://*.dev.example.com", "namespace": "team-*"}])
    assert not destination_permitted(strict, "https://a.dev.example.com", "a", "default")
    assert not destination_permitted(strict, "https://prod.example.com", "prod", "team-x")


def test_kind_lists() -> None:
    new = project()
    assert kind_permitted(new, "apps", "Deployment", namespaced=True)  # no namespace whitelist: all
    assert not kind_permitted(new, "rbac.authorization.k8s.io", "ClusterRole", namespaced=False)
    rules = project(
        clusterResourceWhitelist=[{"group": "", "kind": "Namespace"}],
        namespaceResourceBlacklist=[{"group": "", "kind": "ResourceQuota"}],
    )
    assert kind_permitted(rules, "", "Namespace", namespaced=False)
    assert not kind_permitted(rules, "rbac.authorization.k8s.io", "ClusterRole", namespaced=False)
    assert not kind_permitted(rules, "", "ResourceQuota", namespaced=True)
    narrow = project(namespaceResourceWhitelist=[{"group": "apps", "kind": "*"}])
    assert kind_permitted(narrow, "apps", "StatefulSet", namespaced=True)
    assert not kind_permitted(narrow, "", "ConfigMap", namespaced=True)
    none = project(namespaceResourceWhitelist=[])
    assert not kind_permitted(none, "", "ConfigMap", namespaced=True)
    everything = AppProject.default()
    assert kind_permitted(everything, "rbac.authorization.k8s.io", "ClusterRole", namespaced=False)


def app(repo: str = "https://git.example.com/team/app", namespace: str = "team-web") -> dict[str, Any]:
    return {
        "metadata": {"name": "web"},
        "spec": {
            "project": "team",
            "source": {"repoURL": repo, "path": "."},
            "destination": {"server": "https://a.dev.example.com", "namespace": namespace},
        },
    }


def test_spec_violations_name_repo_destination_and_project() -> None:
    team = project(
        sourceRepos=["https://git.example.com/team/*"],
        destinations=[{"server": "https://*.dev.example.com", "namespace": "team-*"}],
    )
    assert spec_violations(team, app(), "https://a.dev.example.com", "dev") == []
    messages = spec_violations(
        team, app("https://other.example.com/x", "default"), "https://a.dev.example.com", "dev"
    )
    assert len(messages) == 2
    assert "repo https://other.example.com/x is not permitted in project 'team'" in messages[0]
    assert "namespace 'default'" in messages[1]


def test_resolve_project() -> None:
    assert resolve_project("web", "default", {}).source_repos == ("*",)
    with pytest.raises(SpecError, match="project team which does not exist"):
        resolve_project("web", "team", {})
    with pytest.raises(SpecError, match=r"syncWindows\[0\].kind"):
        resolve_project(
            "web", "team", {"team": {"metadata": {"name": "team"}, "spec": {"syncWindows": [{"kind": "x"}]}}}
        )


def test_forbidden_resources_marked_unknown() -> None:
    team = project(destinations=[{"server": "*", "namespace": "team-*"}])
    desired = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "elsewhere", "namespace": "kube-system"},
        },
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "admin2"}},
    ]
    scopes = {"ConfigMap": True, "ClusterRole": False}
    forbidden = forbidden_resources(
        team,
        desired,
        lambda _api_version, kind: scopes.get(kind),
        server="https://x",
        cluster_name="dev",
        destination_namespace="team-web",
    )
    assert sorted(k.name for k in forbidden) == ["admin2", "elsewhere"]
    status = mark_forbidden(
        {"resources": [{"kind": "ConfigMap", "namespace": "team-web", "name": "ok", "status": "Synced"}]},
        forbidden,
    )
    by_name = {r["name"]: r for r in status["resources"]}
    assert by_name["ok"]["status"] == "Synced"
    assert by_name["admin2"]["status"] == "Unknown"
    assert "clusterResourceWhitelist" in by_name["admin2"]["health"]["message"]
