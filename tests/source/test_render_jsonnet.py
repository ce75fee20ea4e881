"""Jsonnet in directory apps: extVars, TLAs, libs, build-variable substitution, confinement, timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_support import by_name, render, settings, snapshot_of

from gitops.errors import RenderError

JSONNET = {
    "extVars": [
        {"name": "env", "value": "prod"},
        {"name": "app", "value": "$ARGOCD_APP_NAME"},
        {"name": "port", "value": "8000 + 80", "code": True},
    ],
    "tlas": [
        {"name": "replicas", "value": "3", "code": True},
        {"name": "team", "value": "${ARGOCD_APP_NAMESPACE}-team"},
    ],
    "libs": ["vendor"],
}


def test_ext_vars_tlas_and_libs(tmp_path: Path) -> None:
    output = render(
        snapshot_of("jsonnet-valid", tmp_path),
        tmp_path,
        app="shop",
        path="app",
        directory={"jsonnet": JSONNET},
    )
    objects = by_name(output)
    assert objects["ConfigMap/settings"]["data"] == {"env": "prod", "app": "shop", "port": "8080"}
    assert objects["Deployment/web"]["spec"]["replicas"] == 3
    assert objects["Deployment/web"]["metadata"]["labels"] == {"team": "argocd-team"}
    assert "ConfigMap/plain" in objects  # YAML beside jsonnet still read
    # read, and probed before: a k.libsonnet added beside main.jsonnet would shadow vendor's
    assert output.inputs == {"app/helper.libsonnet", "app/k.libsonnet", "vendor/k.libsonnet"}


def test_missing_library_path_fails_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"app/main\.jsonnet.*k\.libsonnet' not found"):
        render(
            snapshot_of("jsonnet-valid", tmp_path),
            tmp_path,
            path="app",
            directory={"jsonnet": {**JSONNET, "libs": []}},
        )


def test_import_outside_repository_is_refused(tmp_path: Path) -> None:
    root = snapshot_of("jsonnet-import-escape-rejected", tmp_path)
    (root.parent / "outside.libsonnet").write_text('"stolen"')  # exists, but outside the repository
    with pytest.raises(RenderError) as info:
        render(root, tmp_path, path="app")
    assert "app 'demo'" in str(info.value) and "app/main.jsonnet" in str(info.value)
    assert "resolves outside the repository" in str(info.value)


def test_library_outside_repository_is_refused(tmp_path: Path) -> None:
    from gitops.errors import UnsafeSourceError

    with pytest.raises(UnsafeSourceError, match=r"libs\[0\] '\.\./\.\.' resolves outside"):
        render(
            snapshot_of("jsonnet-valid", tmp_path),
            tmp_path,
            path="app",
            directory={"jsonnet": {"libs": ["../.."]}},
        )


def test_runaway_program_is_killed_at_the_timeout(tmp_path: Path) -> None:
    fast = settings(tmp_path, timeout_seconds=1.5)
    with pytest.raises(
        RenderError, match=r"app 'demo': app/slow\.jsonnet: jsonnet timed out after 1\.5s and was killed"
    ):
        render(snapshot_of("jsonnet-slow-timeout", tmp_path), tmp_path, path="app", render_settings=fast)


def test_imports_resolve_through_the_app_path(tmp_path: Path) -> None:
    output = render(
        snapshot_of("jsonnet-valid", tmp_path),
        tmp_path,
        path="app",
        directory={"recurse": True, "include": "nested/*", "jsonnet": JSONNET},
    )
    assert [o["metadata"]["name"] for o in output.objects] == ["nested-web"]


def test_repository_python_files_are_never_imported_by_the_worker(tmp_path: Path) -> None:
    root = snapshot_of("jsonnet-shadow-module-ignored", tmp_path)
    output = render(root, tmp_path, path="app")  # app/json.py would abort the worker if imported
    assert [o["metadata"]["name"] for o in output.objects] == ["safe"]
