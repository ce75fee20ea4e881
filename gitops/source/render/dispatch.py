"""Choosing the tool as Argo CD does, running it, and checking what it produced.

`render_source(job)` confines the app path, refuses out-of-repo symlinks, picks the tool (a
`helm`/`kustomize`/`directory` block forces one; else `Chart.yaml` means Helm, a kustomization
file means Kustomize and wins over Chart.yaml as in Argo CD's discovery, otherwise a plain
directory), renders, and validates every object and the output caps. It returns JSON-clean
objects or raises; never a partial result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gitops.errors import RenderError
from gitops.source.render.directory import render_directory
from gitops.source.render.helm import render_helm
from gitops.source.render.job import Rendered, RenderJob
from gitops.source.render.kustomize import render_kustomize
from gitops.source.render.kustomize_tree import kustomization_file
from gitops.source.render.safety import check_document, check_symlinks, check_totals, confine

RENDERERS = {"Helm": render_helm, "Kustomize": render_kustomize, "Directory": render_directory}


@dataclass(frozen=True)
class RenderOutput:
    """One source's objects (JSON-clean, never shared) and the repository paths it read."""

    objects: list[dict[str, Any]]
    source_type: str
    inputs: frozenset[str]
    size_bytes: int


def detect_tool(app_dir: Path) -> str:
    """Argo CD's discovery: a file whose name ends in `Chart.yaml` means Helm, a kustomization file
    means Kustomize, and Kustomize wins when both are present (it is walked last)."""
    if kustomization_file(app_dir) is not None:
        return "Kustomize"
    with os.scandir(app_dir) as entries:
        if any(entry.name.endswith("Chart.yaml") and entry.is_file() for entry in entries):
            return "Helm"
    return "Directory"


def resolve_app_dir(job: RenderJob) -> Path:
    """The app directory inside the snapshot; errors when outside the repository or missing."""
    app_dir = confine(job.repo_root, job.source.path or ".", app=job.app, what="spec.source.path")
    if not app_dir.is_dir():
        raise RenderError(
            f"path {job.source.path!r} does not exist in the repository at {job.context.revision[:12]}",
            app=job.app,
            hint="fix spec.source.path or the target revision",
        )
    return app_dir


def to_json_objects(rendered: Rendered, *, job: RenderJob) -> tuple[list[dict[str, Any]], int]:
    """Validate every document, then return fresh JSON-clean objects and their serialised size."""
    limits = job.settings.limits
    check_totals(len(rendered.documents), 0, app=job.app, limits=limits)
    for origin, doc in rendered.documents:
        check_document(doc, app=job.app, origin=origin)
    try:
        blob = orjson.dumps(
            [doc for _, doc in rendered.documents], option=orjson.OPT_NON_STR_KEYS, default=str
        )
    except orjson.JSONEncodeError as exc:
        raise RenderError(
            f"manifests cannot be encoded as JSON: {exc}", app=job.app, hint="fix the manifests"
        ) from None
    check_totals(len(rendered.documents), len(blob), app=job.app, limits=limits)
    return orjson.loads(blob), len(blob)


def render_source(job: RenderJob, *, symlinks_checked: bool = False) -> RenderOutput:
    """Render one source; `symlinks_checked` skips the repository symlink walk already done."""
    app_dir = resolve_app_dir(job)
    if not symlinks_checked:
        check_symlinks(job.repo_root, app=job.app)
        for root in job.ref_roots.values():
            check_symlinks(root, app=job.app)
    tool = job.source.explicit_tool or detect_tool(app_dir)
    rendered = RENDERERS[tool](job)
    objects, size = to_json_objects(rendered, job=job)
    return RenderOutput(objects=objects, source_type=tool, inputs=frozenset(rendered.inputs), size_bytes=size)
