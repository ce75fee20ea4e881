"""Jsonnet rendering with the `jsonnet` PyPI package, in a killable subprocess.

`render_jsonnet_files` evaluates a directory app's `.jsonnet` files with Argo CD's
`directory.jsonnet` settings (extVars, tlas, libs; `$ARGOCD_APP_*` substituted in values). The
evaluation runs in `python -I -m gitops.source.render.jsonnet_worker` under process.run_tool, so the
render timeout kills a runaway program; its import callback confines every import (and `libs`)
to the repository.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from gitops.errors import RenderError
from gitops.source.render.job import RenderJob, envsubst
from gitops.source.render.process import run_tool
from gitops.source.render.safety import confine


def render_jsonnet_files(job: RenderJob, files: list[Path]) -> tuple[dict[str, Any], set[str]]:
    """Evaluate each file; returns ({display path: JSON value}, repository files imported)."""
    jsonnet = job.source.directory.jsonnet if job.source.directory else None
    env = job.env()
    libs = [
        str(confine(job.repo_root, lib, app=job.app, what=f"directory.jsonnet.libs[{i}]"))
        for i, lib in enumerate(jsonnet.libs if jsonnet else [])
    ]
    request = {
        "root": os.path.realpath(job.repo_root),
        "files": [os.path.realpath(f) for f in files],
        "ext_vars": {
            v.name: envsubst(v.value, env) for v in (jsonnet.ext_vars if jsonnet else []) if not v.code
        },
        "ext_codes": {
            v.name: envsubst(v.value, env) for v in (jsonnet.ext_vars if jsonnet else []) if v.code
        },
        "tla_vars": {v.name: envsubst(v.value, env) for v in (jsonnet.tlas if jsonnet else []) if not v.code},
        "tla_codes": {v.name: envsubst(v.value, env) for v in (jsonnet.tlas if jsonnet else []) if v.code},
        "libs": [os.path.realpath(job.app_dir), *libs],  # Argo CD's JPaths: the app path, then libs
    }
    out = run_tool(
        # -I: isolated, so neither the working directory nor PYTHON* variables reach sys.path; a
        # repository file named like a module (json.py) must never be imported by the worker.
        [sys.executable, "-I", "-m", "gitops.source.render.jsonnet_worker"],
        app=job.app,
        target=job.display(files[0]) if len(files) == 1 else f"{len(files)} jsonnet files",
        cwd=Path(os.path.dirname(sys.executable)),
        timeout=job.settings.timeout_seconds,
        memory_bytes=job.settings.memory_bytes,
        max_output_bytes=job.settings.limits.max_manifest_bytes * 2,
        stdin=json.dumps(request).encode(),
        name="jsonnet",
        hide_paths=job.hidden_paths(),
    )
    reply = json.loads(out)
    if "error" in reply:
        raise RenderError(
            f"jsonnet: {reply['error']}",
            app=job.app,
            target=reply.get("file"),
            hint="fix the jsonnet program",
        )
    values = {job.display(path): json.loads(text) for path, text in reply["outputs"].items()}
    return values, set(reply["imports"])
