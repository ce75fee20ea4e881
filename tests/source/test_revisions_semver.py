"""Masterminds-style semver constraints, as Argo CD applies them to tags."""

from __future__ import annotations

import pytest

from gitops.source.semver_constraints import highest_matching, parse_constraint, parse_version


@pytest.mark.parametrize(
    ("constraint", "version", "ok"),
    [
        ("1.2.*", "1.2.9", True),
        ("1.2.*", "1.3.0", False),
        ("1.2.x", "v1.2.0", True),
        ("1.x", "1.9.9", True),
        ("1.x", "2.0.0", False),
        ("*", "0.0.1", True),
        ("*", "1.0.0-beta", False),
        (">=1.0.0 <2.0.0", "1.5.0", True),
        (">=1.0.0 <2.0.0", "2.0.0", False),
        (">=1.0.0, <2.0.0", "0.9.9", False),
        ("~1.2", "1.2.7", True),
        ("~1.2", "1.3.0", False),
        ("~1.2.3", "1.2.2", False),
        ("~1", "1.9.0", True),
        ("~>1.2", "1.2.1", True),
        ("^1.2", "1.9.0", True),
        ("^1.2", "2.0.0", False),
        ("^1.2.3", "1.2.2", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("^0.0.3", "0.0.4", False),
        ("^0", "0.9.0", True),
        (">1.2", "1.2.9", False),
        (">1.2", "1.3.0", True),
        ("<=1.2", "1.2.9", True),
        ("<=1.2", "1.3.0", False),
        ("!=1.2.3", "1.2.4", True),
        ("!=1.2.3", "1.2.3", False),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("<1.0.0 || >=3.0.0", "3.1.0", True),
        ("<1.0.0 || >=3.0.0", "2.0.0", False),
        (">=1.0.0-rc.1", "1.0.0-rc.2", True),
        (">=1.0.0-rc.1", "1.0.0-alpha", False),
        ("=1.2.3", "1.2.3+build.5", True),
    ],
)
def test_constraint_check(constraint: str, version: str, ok: bool) -> None:
    parsed = parse_constraint(constraint)
    parsed_version = parse_version(version)
    assert parsed is not None and parsed_version is not None
    assert parsed.check(parsed_version) is ok


@pytest.mark.parametrize("text", ["main", "release-1.0", "feature/x", "", ">=", "1.2.3.4", "v1.2.3 <"])
def test_not_a_constraint(text: str) -> None:
    assert parse_constraint(text) is None


def test_version_ordering_follows_semver() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.2",
        "v2",
    ]
    versions = [parse_version(v) for v in ordered]
    assert all(v is not None for v in versions)
    assert sorted(versions) == versions  # type: ignore[type-var]


def test_highest_matching_ignores_non_versions() -> None:
    constraint = parse_constraint("^1.0")
    assert constraint is not None
    best = highest_matching(constraint, [("v1.0.0", "a"), ("latest", "b"), ("v1.4.2", "c"), ("v2.0.0", "d")])
    assert best is not None and best[1] == "c"
    assert highest_matching(constraint, [("v3.0.0", "x")]) is None
