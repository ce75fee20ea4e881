"""resolve_from_refs: every targetRevision form against an ls-remote ref list (pure, no server)."""

from __future__ import annotations

import pytest

from gitops.errors import RevisionNotFoundError
from gitops.source.revisions import Resolved, is_full_sha, resolve_from_refs, short_name

MAIN = "a" * 40
DEV = "b" * 40
TAG_OBJ = "c" * 40
TAG_COMMIT = "d" * 40
V110 = "e" * 40
V200 = "f" * 40
PR = "1234567" + "0" * 33
SAME_NAME_BRANCH = "2" * 40
SAME_NAME_TAG = "3" * 40
PRE = "4" * 40

REFS = {
    "HEAD": "ref: refs/heads/main",
    "refs/heads/main": MAIN,
    "refs/heads/dev": DEV,
    "refs/heads/feature/x": DEV,
    "refs/heads/both": SAME_NAME_BRANCH,
    "refs/tags/both": SAME_NAME_TAG,
    "refs/tags/v1.0.0": TAG_OBJ,
    "refs/tags/v1.0.0^{}": TAG_COMMIT,
    "refs/tags/v1.1.0": V110,
    "refs/tags/v2.0.0": V200,
    "refs/tags/v2.1.0-rc.1": PRE,
    "refs/tags/not-a-version": MAIN,
    "refs/pull/7/head": PR,
}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("", Resolved(MAIN, "refs/heads/main", "head")),
        ("HEAD", Resolved(MAIN, "refs/heads/main", "head")),
        ("main", Resolved(MAIN, "refs/heads/main", "branch")),
        ("dev", Resolved(DEV, "refs/heads/dev", "branch")),
        ("feature/x", Resolved(DEV, "refs/heads/feature/x", "branch")),
        ("refs/heads/dev", Resolved(DEV, "refs/heads/dev", "branch")),
        ("v1.1.0", Resolved(V110, "refs/tags/v1.1.0", "tag")),
        ("refs/tags/v1.1.0", Resolved(V110, "refs/tags/v1.1.0", "tag")),
        ("v1.0.0", Resolved(TAG_COMMIT, "refs/tags/v1.0.0", "tag")),  # annotated tag peeled to its commit
        ("refs/pull/7/head", Resolved(PR, "refs/pull/7/head", "ref")),
        ("pull/7/head", Resolved(PR, "refs/pull/7/head", "ref")),
        ("both", Resolved(SAME_NAME_TAG, "refs/tags/both", "tag")),  # git's rule: the tag wins
        ("refs/heads/both", Resolved(SAME_NAME_BRANCH, "refs/heads/both", "branch")),
        ("9" * 40, Resolved("9" * 40, "", "commit")),  # any full SHA is itself
        ("A" * 40, Resolved("a" * 40, "", "commit")),
        ("1234567", Resolved(PR, "", "commit")),  # a prefix of a known ref's commit expands
        ("abcdef12", Resolved("abcdef12", "", "commit-prefix")),  # unknown prefix: left to the mirror
        ("  main  ", Resolved(MAIN, "refs/heads/main", "branch")),
    ],
)
def test_every_revision_form_resolves(target: str, expected: Resolved) -> None:
    assert resolve_from_refs(REFS, target) == expected


@pytest.mark.parametrize(
    ("constraint", "sha", "ref"),
    [
        ("1.*", V110, "refs/tags/v1.1.0"),
        ("v1.*", V110, "refs/tags/v1.1.0"),
        ("1.0.*", TAG_COMMIT, "refs/tags/v1.0.0"),
        ("1.0.x", TAG_COMMIT, "refs/tags/v1.0.0"),
        (">=1.0.0 <2.0.0", V110, "refs/tags/v1.1.0"),
        (">= 1.0, < 2", V110, "refs/tags/v1.1.0"),
        ("~1.0", TAG_COMMIT, "refs/tags/v1.0.0"),
        ("^1.0", V110, "refs/tags/v1.1.0"),
        ("*", V200, "refs/tags/v2.0.0"),  # the prerelease v2.1.0-rc.1 is excluded
        (">=2.1.0-rc.0", PRE, "refs/tags/v2.1.0-rc.1"),
        ("<1.0.0 || >=2.0.0", V200, "refs/tags/v2.0.0"),
    ],
)
def test_semver_constraint_picks_highest_matching_tag(constraint: str, sha: str, ref: str) -> None:
    assert resolve_from_refs(REFS, constraint) == Resolved(sha, ref, "semver")


def test_plain_version_is_a_tag_name_not_a_constraint() -> None:
    # Argo CD: "v1.1.0" is a pin resolved by name; "1.1" is a version too, so it must name a ref.
    assert resolve_from_refs(REFS, "v1.1.0").kind == "tag"
    with pytest.raises(RevisionNotFoundError):
        resolve_from_refs(REFS, "1.1")


def test_constraint_matching_no_tag_names_the_fix() -> None:
    with pytest.raises(RevisionNotFoundError) as info:
        resolve_from_refs(REFS, ">=5.0.0", "https://user:hunter2@example.com/org/repo.git")
    text = str(info.value)
    assert "semver constraint" in text
    assert "hunter2" not in text
    assert "example.com/org/repo" in text


def test_unknown_branch_is_revision_not_found() -> None:
    with pytest.raises(RevisionNotFoundError, match="no-such-branch"):
        resolve_from_refs(REFS, "no-such-branch")


def test_head_without_symref_uses_its_sha_and_empty_repo_fails() -> None:
    assert resolve_from_refs({"HEAD": MAIN, "refs/heads/main": MAIN}, "") == Resolved(MAIN, "HEAD", "head")
    with pytest.raises(RevisionNotFoundError, match="no HEAD"):
        resolve_from_refs({}, "HEAD")


def test_helpers() -> None:
    assert is_full_sha("a" * 40) and not is_full_sha("a" * 39) and not is_full_sha("g" * 40)
    assert short_name("refs/heads/a/b") == "a/b"
    assert short_name("refs/tags/v1") == "v1"
    assert short_name("refs/pull/1/head") == "pull/1/head"
