"""Helm chart dependencies, as Argo CD handles them: `helm dependency build` when charts/ lacks them.

Dependencies already vendored in `charts/` are used as they are. Missing ones must be local
(`repository: file://...`, resolved inside the repository): the chart and those dependency
directories are copied to scratch space (the snapshot is read-only) and `helm dependency build
--skip-refresh` packs them there. A dependency on a chart repository that is not vendored is an
error: Bosun renders from Git only.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from gitops.errors import RenderError
from gitops.source.render.job import RenderJob
from gitops.source.render.process import run_tool
from gitops.source.render.safety import confine, read_text_file


def _vendored(charts: Path, name: str) -> bool:
    return (charts / name / "Chart.yaml").is_file() or any(charts.glob(f"{name}-*.tgz"))


def _copy_writable(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
    for directory, dirnames, filenames in os.walk(target):
        for name in [*dirnames, *filenames]:
            path = os.path.join(directory, name)
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    os.chmod(target, os.stat(target).st_mode | stat.S_IWUSR)


def prepare_chart(job: RenderJob, scratch: Path) -> tuple[Path, set[str]]:
    """The directory to template (the snapshot's own, or a scratch copy with dependencies built),
    and the repository directories of the local dependencies it read."""
    chart_file = job.app_dir / "Chart.yaml"
    if not chart_file.is_file():
        return job.app_dir, set()
    display = job.display(chart_file)
    text = read_text_file(
        chart_file, app=job.app, display=display, max_bytes=job.settings.limits.max_manifest_bytes
    )
    try:
        chart: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return job.app_dir, set()  # helm reports the malformed Chart.yaml itself
    dependencies = chart.get("dependencies") if isinstance(chart, dict) else None
    missing = [
        d
        for d in dependencies or []
        if isinstance(d, dict) and not _vendored(job.app_dir / "charts", str(d.get("name")))
    ]
    if not missing:
        return job.app_dir, set()
    local: list[Path] = []
    for dep in missing:
        name, repository = str(dep.get("name")), str(dep.get("repository") or "")
        if not repository.startswith("file://"):
            raise RenderError(
                f"chart dependency {name!r} ({repository or 'no repository'}) is not vendored in charts/",
                app=job.app,
                target=display,
                hint="run `helm dependency build` and commit charts/, or use a file:// dependency inside the repository",
            )
        relative = os.path.join(job.source.path or ".", repository[len("file://") :])
        local.append(confine(job.repo_root, relative, app=job.app, what=f"{display} dependency {name!r}"))
    copy_root = scratch / "chart-copy"
    root = os.path.realpath(job.repo_root)
    for directory in [job.app_dir, *local]:
        _copy_writable(directory, copy_root / os.path.relpath(os.path.realpath(directory), root))
    chart_copy = copy_root / os.path.relpath(os.path.realpath(job.app_dir), root)
    run_tool(
        [job.settings.helm_path, "dependency", "build", "--skip-refresh", "."],
        app=job.app,
        target=f"helm dependency build {job.source.path or '.'}",
        cwd=chart_copy,
        timeout=job.settings.timeout_seconds,
        memory_bytes=job.settings.memory_bytes,
        max_output_bytes=1_000_000,
        extra_env=job.env(),
        hide_paths={**job.hidden_paths(), str(copy_root): ""},
    )
    return chart_copy, {job.display(d) for d in local}
