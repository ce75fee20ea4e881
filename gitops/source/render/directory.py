"""Plain-directory apps, as Argo CD reads them.

Files ending `.yaml`, `.yml`, `.json` (and `.jsonnet`, evaluated) directly in the app's path, or in
every subdirectory with `directory.recurse`. `include`/`exclude` are globs matched against the path
relative to the app directory (`*` also crosses `/`, `{a,b}` alternatives); exclude wins.
Multi-document YAML is split, empty documents skipped, `kind: List` flattened.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gitops.errors import RenderError
from gitops.globs import compile_glob
from gitops.source.render.job import Rendered, RenderJob, flatten_lists
from gitops.source.render.jsonnet_render import render_jsonnet_files
from gitops.source.render.safety import read_text_file
from gitops.source.render.yaml_loader import load_documents

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".jsonnet")


def glob_match(pattern: str, path: str) -> bool:
    return compile_glob(pattern).fullmatch(path) is not None


def manifest_files(job: RenderJob) -> list[Path]:
    """The files a directory app reads, in Argo CD's (lexical walk) order."""
    directory = job.source.directory
    recurse = bool(directory and directory.recurse)
    include = directory.include if directory else ""
    exclude = directory.exclude if directory else ""
    found: list[Path] = []
    for current, dirnames, filenames in os.walk(job.app_dir, followlinks=False):
        dirnames.sort()
        if not recurse:
            dirnames.clear()
        for name in sorted(filenames):
            if not name.endswith(MANIFEST_SUFFIXES):
                continue
            full = Path(current) / name
            relative = os.path.relpath(full, job.app_dir)
            if exclude and glob_match(exclude, relative):
                continue
            if include and not glob_match(include, relative):
                continue
            found.append(full)
    return sorted(found, key=lambda p: os.path.relpath(p, job.app_dir).split(os.sep))


def render_directory(job: RenderJob) -> Rendered:
    rendered = Rendered()
    limits = job.settings.limits
    files = manifest_files(job)
    jsonnet_values: dict[str, object] = {}
    jsonnet_files = [path for path in files if path.suffix == ".jsonnet"]
    if jsonnet_files:
        jsonnet_values, rendered.inputs = render_jsonnet_files(job, jsonnet_files)
    for path in files:
        display = job.display(path)
        if path.suffix == ".jsonnet":
            value = jsonnet_values[display]
            for item in value if isinstance(value, list) else [value]:
                rendered.documents.extend((display, obj) for obj in flatten_lists(item))
            continue
        if path.is_symlink():  # a link elsewhere in the repository: its target is an input too
            rendered.inputs.add(job.display(path))
        text = read_text_file(path, app=job.app, display=display, max_bytes=limits.max_manifest_bytes)
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RenderError(
                    f"invalid JSON: {exc.msg}",
                    app=job.app,
                    target=f"{display}:{exc.lineno}",
                    hint="fix the file",
                ) from None
            rendered.documents.extend((display, item) for item in flatten_lists(data))
            continue
        for line, data in load_documents(text, app=job.app, source=display, max_nodes=limits.max_yaml_nodes):
            rendered.documents.extend((f"{display}:{line}", item) for item in flatten_lists(data))
    return rendered
