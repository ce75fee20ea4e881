"""Plain-directory apps: files, recurse, include/exclude globs, multi-document YAML, List flattening."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_support import by_name, render, snapshot_of, tree_state

from gitops.source.render.directory import glob_match


def names(output: object) -> list[str]:
    return [o["metadata"]["name"] for o in output.objects]  # type: ignore[attr-defined]


def test_top_level_only_without_recurse(tmp_path: Path) -> None:
    root = snapshot_of("directory-recurse-valid", tmp_path)
    before = tree_state(root)
    output = render(root, tmp_path, path="app")
    assert output.source_type == "Directory"
    # lexical file order, empty documents skipped, kind: List flattened, README.md ignored
    assert names(output) == ["first", "second", "svc", "from-list-1", "from-list-2"]
    assert tree_state(root) == before


def test_recurse_walks_subdirectories_in_lexical_order(tmp_path: Path) -> None:
    output = render(
        snapshot_of("directory-recurse-valid", tmp_path), tmp_path, path="app", directory={"recurse": True}
    )
    assert names(output) == [
        "first",
        "second",
        "svc",
        "from-list-1",
        "from-list-2",
        "deep",
        "nested",
        "skipped",
    ]


def test_timestamps_stay_strings(tmp_path: Path) -> None:
    output = render(snapshot_of("directory-recurse-valid", tmp_path), tmp_path, path="app")
    assert by_name(output)["ConfigMap/first"]["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"


def test_exclude_wins_over_include_and_braces_alternate(tmp_path: Path) -> None:
    root = snapshot_of("directory-recurse-valid", tmp_path)
    output = render(
        root,
        tmp_path,
        path="app",
        directory={"recurse": True, "include": "{sub/*,b.json}", "exclude": "*skip-me*"},
    )
    assert names(output) == ["svc", "deep", "nested"]
    output = render(root, tmp_path, path="app", directory={"recurse": True, "include": "*.yml"})
    assert names(output) == ["deep"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "sub/a.yaml", True),  # gobwas glob without separators: * crosses /
        ("{a,b}.yaml", "b.yaml", True),
        ("{a,b}.yaml", "c.yaml", False),
        ("sub/?.yaml", "sub/x.yaml", True),
        ("[ab]*.json", "b.json", True),
        ("[!ab]*.json", "b.json", False),
        ("prod.yaml", "dev/prod.yaml", False),
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_symlink_inside_repository_is_followed(tmp_path: Path) -> None:
    output = render(snapshot_of("symlink-inside-repo-valid", tmp_path), tmp_path, path="app")
    assert names(output) == ["shared-through-symlink"]
    assert output.inputs == {"shared/cm.yaml"}  # a change there must invalidate the app


def test_hook_may_use_generate_name(tmp_path: Path) -> None:
    output = render(snapshot_of("generate-name-hook-valid", tmp_path), tmp_path, path="app")
    assert output.objects[0]["metadata"]["generateName"] == "migrate-"
