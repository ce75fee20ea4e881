"""A repository is untrusted: every unsafe or malformed input ends in a clear error and no objects."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest
from render_support import make_read_only, make_writable, render, settings, snapshot_of

from gitops.errors import RenderError, SourceError, UnsafeSourceError
from gitops.source.render.process import run_tool


def refused(fixture: str, tmp_path: Path, error: type[SourceError] = SourceError, **kwargs: object) -> str:
    root = snapshot_of(fixture, tmp_path)
    with pytest.raises(error) as info:
        render(root, tmp_path, path=str(kwargs.pop("path", "app")), **kwargs)  # type: ignore[arg-type]
    text = str(info.value)
    assert "app 'demo'" in text
    return text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../..", "resolves outside the repository"),
        ("/etc", "is absolute"),
        ("app/../../x", "resolves outside"),
    ],
)
def test_path_escaping_the_repository(tmp_path: Path, path: str, message: str) -> None:
    text = refused("directory-recurse-valid", tmp_path, UnsafeSourceError, path=path)
    assert "spec.source.path" in text and message in text


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    assert "path 'nope' does not exist" in refused(
        "directory-recurse-valid", tmp_path, RenderError, path="nope"
    )


def test_symlinked_file_pointing_outside(tmp_path: Path) -> None:
    text = refused("symlink-file-escape-rejected", tmp_path, UnsafeSourceError)
    assert "symlink app/stolen.yaml" in text and "points outside the repository" in text


def test_symlinked_directory_pointing_outside(tmp_path: Path) -> None:
    root = snapshot_of("symlink-dir-escape-rejected", tmp_path, read_only=False)
    os.symlink("/etc", root / "app" / "host-etc")
    make_read_only(root)
    with pytest.raises(
        UnsafeSourceError, match=r"symlink app/host-etc -> /etc points outside the repository"
    ):
        render(root, tmp_path, path="app", directory={"recurse": True})
    make_writable(root)


def test_alias_bomb_fails_fast_with_bounded_memory(tmp_path: Path) -> None:
    root = snapshot_of("yaml-alias-bomb-rejected", tmp_path)
    tracemalloc.start()
    with pytest.raises(UnsafeSourceError) as info:
        render(root, tmp_path, path="app")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "app/bomb.yaml" in str(info.value) and "alias bomb" in str(info.value)
    # 9^12 nodes expanded would be terabytes: refused while the composed graph is still tiny
    assert peak < 20 * 1024 * 1024, peak


def test_binary_file(tmp_path: Path) -> None:
    text = refused("binary-file-rejected", tmp_path, UnsafeSourceError)
    assert "app/blob.yaml" in text and "binary file" in text


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    assert "app/broken.yaml:5: invalid YAML" in refused("invalid-yaml-rejected", tmp_path, RenderError)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    assert "app/broken.json:4: invalid JSON" in refused("invalid-json-rejected", tmp_path, RenderError)


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("document-not-mapping-rejected", "app/list.yaml:1: document is a list, not a mapping"),
        ("document-missing-kind-rejected", "app/cm.yaml:1: object has no kind"),
        ("document-missing-name-rejected", "app/cm.yaml:1: ConfigMap has no metadata.name"),
        ("generate-name-without-hook-rejected", "generateName is allowed only on hooks"),
    ],
)
def test_documents_that_are_not_kubernetes_objects(tmp_path: Path, fixture: str, message: str) -> None:
    assert message in refused(fixture, tmp_path, RenderError)


def test_combined_size_cap(tmp_path: Path) -> None:
    small = settings(tmp_path, max_manifest_bytes=8000)
    text = refused("manifests-over-size-cap-rejected", tmp_path, UnsafeSourceError, render_settings=small)
    assert "over the cap of 8000" in text and "BOSUN_MAX_MANIFEST_BYTES" in text


def test_single_file_over_size_cap_is_not_read(tmp_path: Path) -> None:
    small = settings(tmp_path, max_manifest_bytes=2000)
    text = refused("manifests-over-size-cap-rejected", tmp_path, UnsafeSourceError, render_settings=small)
    assert "app/cm-0.yaml" in text and "over the 2000-byte manifest cap" in text


def test_document_count_cap(tmp_path: Path) -> None:
    few = settings(tmp_path, max_documents=5)
    assert "renders 6 documents, over the cap of 5" in refused(
        "documents-over-count-cap-rejected", tmp_path, UnsafeSourceError, render_settings=few
    )


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {marker}; wait"
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"app 'demo': sh -c: sh timed out after 1s and was killed"):
        run_tool(
            ["sh", "-c", script], app="demo", target="sh -c", cwd=tmp_path, timeout=1, max_output_bytes=1000
        )
    assert time.monotonic() - started < 30  # not 60: sleep was killed
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"grandchild {child} survived the timeout")


def test_renderers_get_a_minimal_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-marker")
    monkeypatch.setenv("BOSUN_REDIS_URL", "redis://:leak-marker@host")
    out = run_tool(
        ["env"],
        app="demo",
        target="env",
        cwd=tmp_path,
        timeout=10,
        max_output_bytes=100_000,
        extra_env={"ARGOCD_APP_NAME": "demo"},
    ).decode()
    assert "leak-marker" not in out
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert env["ARGOCD_APP_NAME"] == "demo"
    assert env["HOME"] != os.environ.get("HOME") and "bosun-render-home-" in env["HOME"]


def test_renderer_errors_are_redacted_and_output_capped(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as info:
        run_tool(
            ["sh", "-c", "echo 'fetch https://bob:hunter2@git.example/r.git failed' >&2; exit 3"],
            app="demo",
            target="t",
            cwd=tmp_path,
            timeout=10,
            max_output_bytes=1000,
        )
    assert (
        "exit 3" in str(info.value)
        and "hunter2" not in str(info.value)
        and "https://git.example/r.git" in str(info.value)
    )
    with pytest.raises(RenderError, match="wrote more than 1000 bytes"):
        run_tool(
            ["sh", "-c", "yes | head -c 100000"],
            app="demo",
            target="t",
            cwd=tmp_path,
            timeout=10,
            max_output_bytes=1000,
        )
