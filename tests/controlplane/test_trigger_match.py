"""Matching push events to Applications: repo URL forms, revisions, generate-paths (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.triggers.event import PushEvent
from gitops.triggers.match import app_matches, generate_paths, paths_match, revision_matches

PUSH_MAIN = PushEvent(
    provider="github",
    repo_urls=("https://github.com/acme/guestbook", "git@github.com:acme/guestbook.git"),
    refs=("refs/heads/main",),
    changed_paths=("apps/web/deployment.yaml", "README.md"),
    default_branch="main",
    after="2" * 40,
)


def app(repo: str = "https://github.com/acme/guestbook.git", rev: str | None = "HEAD", path: str = "apps/web",
        annotations: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    source: dict[str, Any] = {"repoURL": repo, "path": path, **extra}
    if rev is not None:
        source["targetRevision"] = rev
    return {"metadata": {"name": "web", "annotations": annotations or {}}, "spec": {"source": source}}


@pytest.mark.parametrize(
    "repo",
    [
        "https://github.com/acme/guestbook.git",
        "https://GitHub.com/acme/guestbook",
        "http://github.com/acme/guestbook/",
        "ssh://git@github.com:22/acme/guestbook.git",
        "git@github.com:acme/guestbook",
        "https://user@github.com/acme/guestbook.git",
    ],
)
def test_repo_url_forms_match(repo: str) -> None:
    assert app_matches(app(repo=repo), PUSH_MAIN)


@pytest.mark.parametrize(
    "repo", ["https://github.com/acme/guestbook2", "https://gitlab.com/acme/guestbook", "not a url"]
)
def test_other_repos_do_not_match(repo: str) -> None:
    assert not app_matches(app(repo=repo), PUSH_MAIN)


@pytest.mark.parametrize(
    ("target", "ref", "default", "expected"),
    [
        ("HEAD", "refs/heads/main", "main", True),
        ("", "refs/heads/main", "main", True),
        (None, "refs/heads/main", "main", True),
        ("HEAD", "refs/heads/feature", "main", False),
        ("HEAD", "refs/tags/v1", "main", False),
        ("HEAD", "refs/heads/feature", None, True),  # default branch unknown: refresh
        ("main", "refs/heads/main", "main", True),
        ("refs/heads/main", "refs/heads/main", "main", True),
        ("refs/heads/main", "refs/tags/main", "main", False),
        ("feature/x", "refs/heads/feature/x", "main", True),
        ("x", "refs/heads/feature/x", "main", False),
        ("v1.2.0", "refs/tags/v1.2.0", "main", True),
        ("refs/tags/v1.2.0", "refs/tags/v1.2.0", "main", True),
        ("1.2.*", "refs/tags/v1.2.7", "main", True),
        ("1.2.*", "refs/tags/v1.3.0", "main", False),
        (">=1.0.0 <2.0.0", "refs/tags/1.9.9", "main", True),
        (">=1.0.0 <2.0.0", "refs/heads/main", "main", False),
        ("a" * 40, "refs/heads/main", "main", False),
    ],
)
def test_revision_matching(target: str | None, ref: str, default: str | None, expected: bool) -> None:
    assert revision_matches(target, ref, default) is expected


def test_generate_paths_relative_and_absolute() -> None:
    assert generate_paths(".", "apps/web") == ["apps/web"]
    assert generate_paths(".;../shared", "apps/web") == ["apps/web", "apps/shared"]
    assert generate_paths("/charts/base; ", "apps/web") == ["charts/base"]
    assert generate_paths("/", "apps/web") == [""]
    assert generate_paths(None, "apps/web") is None
    assert generate_paths("  ", "apps/web") is None


def test_paths_match_rules() -> None:
    assert paths_match(["apps/web"], ["apps/web/deployment.yaml"])
    assert not paths_match(["apps/web"], ["apps/webapp/deployment.yaml"])
    assert paths_match(["apps/web"], None)  # unknown changes
    assert paths_match(["apps/web"], [])  # provider listed nothing
    assert paths_match(None, ["x"])
    assert paths_match([""], ["anything"])


def test_annotation_filters_unrelated_pushes() -> None:
    watched = app(annotations={"argocd.argoproj.io/manifest-generate-paths": "."})
    assert app_matches(watched, PUSH_MAIN)
    docs_only = PushEvent(**{**PUSH_MAIN.__dict__, "changed_paths": ("README.md", "docs/x.md")})
    assert not app_matches(watched, docs_only)
    assert app_matches(app(), docs_only)  # without the annotation every push counts


def test_multi_source_app_matches_if_any_source_does() -> None:
    resource = {
        "metadata": {"name": "multi"},
        "spec": {
            "source": {"repoURL": "https://github.com/acme/guestbook", "targetRevision": "HEAD"},  # ignored
            "sources": [
                {"repoURL": "https://charts.example.com", "chart": "redis", "targetRevision": "1.0.0"},
                {"repoURL": "https://github.com/acme/other", "targetRevision": "HEAD"},
            ],
        },
    }
    assert not app_matches(resource, PUSH_MAIN)
    resource["spec"]["sources"].append(
        {"repoURL": "git@github.com:acme/guestbook.git", "targetRevision": "main", "ref": "values"}
    )
    assert app_matches(resource, PUSH_MAIN)


def test_helm_repo_source_never_matches_git_push() -> None:
    assert not app_matches(app(repo="https://github.com/acme/guestbook", chart="guestbook"), PUSH_MAIN)


def test_event_json_round_trip() -> None:
    assert PushEvent.from_json(PUSH_MAIN.to_json()) == PUSH_MAIN
    unknown = PushEvent("gitlab", ("u",), ("refs/heads/x",), None)
    assert PushEvent.from_json(unknown.to_json()) == unknown
