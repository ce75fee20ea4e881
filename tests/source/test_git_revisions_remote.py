"""Every targetRevision form resolved against real git servers on loopback (git daemon and http-backend)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitserver import GitServer, WorkRepo

from gitops.cache import MemoryCache
from gitops.errors import GitError, RevisionNotFoundError
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver


def _history(server: GitServer) -> tuple[WorkRepo, dict[str, str]]:
    repo = server.create_repo("app")
    shas = {"first": repo.commit({"app/cm.yaml": "v: 1\n"}, "first")}
    shas["v1.0.0"] = repo.tag("v1.0.0", annotated=True)
    shas["middle"] = repo.commit({"app/cm.yaml": "v: 1.5\n"}, "middle, at no ref")
    shas["second"] = repo.commit({"app/cm.yaml": "v: 2\n"}, "second")
    shas["v1.2.0"] = repo.tag("v1.2.0")
    shas["v2.0.0-rc.1"] = repo.tag("v2.0.0-rc.1")
    shas["dev"] = repo.branch("dev")
    repo.checkout("dev")
    shas["dev"] = repo.commit({"app/cm.yaml": "v: dev\n"}, "dev work")
    repo.checkout("main")
    shas["main"] = repo.commit({"app/cm.yaml": "v: 3\n"}, "third")
    return repo, shas


@pytest.mark.parametrize("transport", ["git", "http"])
def test_every_revision_form_against_a_real_server(git_server: GitServer, transport: str) -> None:
    _repo, shas = _history(git_server)
    url = git_server.url("app", transport=transport)
    resolver = RevisionResolver(MemoryCache(), GitRemote(), ttl_seconds=180)
    cases = {
        "": (shas["main"], "head"),
        "HEAD": (shas["main"], "head"),
        "main": (shas["main"], "branch"),
        "refs/heads/dev": (shas["dev"], "branch"),
        "dev": (shas["dev"], "branch"),
        "v1.0.0": (shas["v1.0.0"], "tag"),  # annotated: the commit, not the tag object
        "refs/tags/v1.2.0": (shas["v1.2.0"], "tag"),
        "1.*": (shas["v1.2.0"], "semver"),
        ">=1.0.0 <1.2.0": (shas["v1.0.0"], "semver"),
        "~1.0": (shas["v1.0.0"], "semver"),
        "^1.0": (shas["v1.2.0"], "semver"),
        ">=2.0.0-rc.0": (shas["v2.0.0-rc.1"], "semver"),
        shas["first"]: (shas["first"], "commit"),
        shas["second"][:10]: (shas["second"], "commit"),  # a tag points at it: expanded from the refs
    }
    for target, (sha, kind) in cases.items():
        resolved = resolver.resolve(url, target)
        assert (resolved.sha, resolved.kind) == (sha, kind), target


def test_short_sha_not_at_a_ref_is_expanded_by_the_mirror(git_server: GitServer, tmp_path: Path) -> None:
    _repo, shas = _history(git_server)
    url = git_server.url("app")
    resolved = RevisionResolver(MemoryCache(), GitRemote(), ttl_seconds=180).resolve(url, shas["middle"][:9])
    assert resolved.kind == "commit-prefix" and resolved.sha == shas["middle"][:9]
    mirrors = Mirrors(tmp_path / "cache", 10**9, 3600)
    assert mirrors.expand(url, resolved.sha) == shas["middle"]


def test_default_branch_change_moves_head(git_server: GitServer) -> None:
    repo, shas = _history(git_server)
    repo.set_default_branch("dev")
    resolved = RevisionResolver(MemoryCache(), GitRemote(), ttl_seconds=0).resolve(
        git_server.url("app"), "HEAD"
    )
    assert (resolved.sha, resolved.ref) == (shas["dev"], "refs/heads/dev")


def test_unknown_revision_and_unknown_repo_are_clear_errors(git_server: GitServer) -> None:
    _history(git_server)
    resolver = RevisionResolver(MemoryCache(), GitRemote(), ttl_seconds=180)
    with pytest.raises(RevisionNotFoundError, match="'nope'"):
        resolver.resolve(git_server.url("app"), "nope")
    with pytest.raises(GitError, match="repository not found") as info:
        resolver.resolve(git_server.url("missing", transport="git"), "main")
    assert "missing.git" in str(info.value) and "check the repository URL" in str(info.value)
