"""Helpers for render tests: fixture repositories copied read-only, specs, contexts, settings."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

from gitops.source.render.dispatch import RenderOutput, render_source
from gitops.source.render.job import RenderJob, RenderSettings
from gitops.source.render.safety import Limits
from gitops.source.spec import AppContext, SourceSpec, parse_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOOLS = Path(__file__).resolve().parents[2] / ".tools" / "bin"
SHA = "0123456789abcdef0123456789abcdef01234567"
REPO_URL = "https://git.example.test/org/repo.git"


def make_read_only(root: Path) -> None:
    for directory, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    os.chmod(root, os.stat(root).st_mode & ~stat.S_IWUSR)


def make_writable(root: Path) -> None:
    os.chmod(root, os.stat(root).st_mode | stat.S_IWUSR)
    for directory, dirnames, _ in os.walk(root):
        for name in dirnames:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


def snapshot_of(fixture: str, tmp_path: Path, *, read_only: bool = True) -> Path:
    """A copy of fixture repository `fixture` under tmp_path (symlinks kept), read-only like a snapshot."""
    root = tmp_path / "snapshots" / fixture
    shutil.copytree(FIXTURES / fixture, root, symlinks=True)
    if read_only:
        make_read_only(root)
    return root


def tree_state(root: Path) -> dict[str, tuple[int, float]]:
    """(size, mtime) of every entry, to prove a render left the snapshot untouched."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            state[os.path.relpath(path, root)] = (info.st_size, info.st_mtime)
    return state


def source(**fields: Any) -> SourceSpec:
    return parse_source({"repoURL": REPO_URL, **fields}, app="demo", where="spec.source")


def context(
    spec: SourceSpec, *, app: str = "demo", dest: str = "dest-ns", kube: str = "", apis: tuple[str, ...] = ()
) -> AppContext:
    return AppContext(
        app_name=app,
        app_namespace="argocd",
        destination_namespace=dest,
        revision=SHA,
        repo_url=REPO_URL,
        source_path=spec.path,
        target_revision="main",
        kube_version=kube,
        api_versions=apis,
    )


def settings(tmp_path: Path, **overrides: Any) -> RenderSettings:
    limits = Limits(
        overrides.pop("max_manifest_bytes", 10 * 1024 * 1024), overrides.pop("max_documents", 5000)
    )
    fields: dict[str, Any] = {
        "helm_path": str(TOOLS / "helm"),
        "kubectl_path": str(TOOLS / "kubectl"),
        "work_dir": tmp_path / "work",
        "limits": limits,
    }
    fields.update(overrides)
    return RenderSettings(**fields)


def render(
    root: Path,
    tmp_path: Path,
    *,
    app: str = "demo",
    ref_roots: dict[str, Path] | None = None,
    kube: str = "",
    apis: tuple[str, ...] = (),
    render_settings: RenderSettings | None = None,
    **fields: Any,
) -> RenderOutput:
    spec = source(**fields)
    job = RenderJob(
        app,
        root,
        spec,
        context(spec, app=app, kube=kube, apis=apis),
        render_settings or settings(tmp_path),
        ref_roots or {},
    )
    return render_source(job)


def by_name(output: RenderOutput) -> dict[str, dict[str, Any]]:
    return {
        f"{o['kind']}/{o['metadata'].get('name') or o['metadata'].get('generateName')}": o
        for o in output.objects
    }
