"""Helm charts in Git, rendered with `helm template` exactly as Argo CD invokes it.

Release name defaults to the app name, namespace to the destination namespace. Value precedence
(lowest first): chart values.yaml < valueFiles (in order) < values < valuesObject (which replaces
`values`, as in Argo CD) < parameters (`--set`, `--set-string` with forceString). `fileParameters`
become `--set-file`. Value files are relative to the app path, `$ref/...` names another source's
snapshot; anything resolving outside its repository, or a URL, is refused. Helm hooks are mapped
to Argo CD sync hooks on the output.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from gitops.errors import RenderError, UnsafeSourceError
from gitops.source.render.helm_deps import prepare_chart
from gitops.source.render.job import Rendered, RenderJob, envsubst, flatten_lists
from gitops.source.render.process import run_tool
from gitops.source.render.safety import confine
from gitops.source.render.yaml_loader import load_documents
from gitops.source.spec import Helm

ARGO_HOOK = "argocd.argoproj.io/hook"
ARGO_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
ARGO_WAVE = "argocd.argoproj.io/sync-wave"
HELM_HOOK = "helm.sh/hook"
HELM_DELETE_POLICY = "helm.sh/hook-delete-policy"
HELM_WEIGHT = "helm.sh/hook-weight"
HOOK_TYPES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "post-delete": "PostDelete",
}
DELETE_POLICIES = {
    "before-hook-creation": "BeforeHookCreation",
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
}
_SOURCE_COMMENT = re.compile(r"^# Source: (.+)$", re.MULTILINE)


def escape_set_value(value: str) -> str:
    """As Argo CD: a parameter's commas are literal (`a,b` is one value), unless it is a `{x,y}` list."""
    if value.startswith("{") and value.endswith("}"):
        return value
    return re.sub(r"(?<!\\),", r"\\,", value)


def _value_file(job: RenderJob, index: int, name: str) -> Path | None:
    """Resolve valueFiles[index]; None when missing and ignoreMissingValueFiles is set."""
    helm = job.source.helm or Helm()
    what = f"helm.valueFiles[{index}]"
    if "://" in name:
        raise UnsafeSourceError(
            f"{what} {name!r} is a URL; only files inside a repository are allowed",
            app=job.app,
            hint="commit the values file to a repository",
        )
    if name.startswith("$"):
        ref, _, rest = name[1:].partition("/")
        if ref not in job.ref_roots:
            raise RenderError(
                f"{what} {name!r} names no source with ref {ref!r}",
                app=job.app,
                hint="add `ref:` to the source holding the values",
            )
        path = confine(job.ref_roots[ref], rest, app=job.app, what=what)
    else:
        path = confine(job.repo_root, os.path.join(job.source.path or ".", name), app=job.app, what=what)
    if not path.is_file():
        if helm.ignore_missing_value_files:
            return None
        raise RenderError(
            f"{what} {name!r} not found", app=job.app, hint="fix the path or set ignoreMissingValueFiles"
        )
    return path


def helm_argv(job: RenderJob, scratch: Path) -> tuple[list[str], set[str]]:
    """The `helm template` command line, and the repository files it reads outside the app path."""
    helm = job.source.helm or Helm()
    ctx, env = job.context, job.env()
    release = helm.release_name or ctx.app_name
    namespace = helm.namespace or ctx.destination_namespace
    argv = [job.settings.helm_path, "template", release, "."]
    if namespace:
        argv += ["--namespace", namespace]
    inputs: set[str] = set()
    for index, name in enumerate(helm.value_files):
        path = _value_file(job, index, envsubst(name, env))
        if path is not None:
            argv += ["--values", str(path)]
        if not name.startswith("$"):  # a missing file too (ignoreMissingValueFiles): adding it matters
            where = os.path.join(job.source.path or ".", envsubst(name, env))
            inputs.add(job.display(path or confine(job.repo_root, where, app=job.app, what="valueFiles")))
    inline: Any = helm.values_object if helm.values_object is not None else helm.values
    if inline:
        values_path = scratch / "inline-values.yaml"
        values_path.write_text(inline if isinstance(inline, str) else json.dumps(inline))
        argv += ["--values", str(values_path)]
    for param in helm.parameters:
        flag = "--set-string" if param.force_string else "--set"
        argv += [flag, f"{param.name}={escape_set_value(envsubst(param.value, env))}"]
    for index, file_param in enumerate(helm.file_parameters):
        what = f"helm.fileParameters[{index}].path"
        path = confine(
            job.repo_root, os.path.join(job.source.path or ".", file_param.path), app=job.app, what=what
        )
        argv += ["--set-file", f"{file_param.name}={path}"]
        inputs.add(job.display(path))
    argv.append("--skip-crds" if helm.skip_crds else "--include-crds")
    if helm.skip_tests:
        argv.append("--skip-tests")
    if helm.skip_schema_validation:
        argv.append("--skip-schema-validation")
    kube_version = helm.kube_version or ctx.kube_version
    if kube_version:
        argv += ["--kube-version", kube_version]
    for api_version in helm.api_versions or ctx.api_versions:
        argv += ["--api-versions", api_version]
    return argv, inputs


def map_helm_hooks(obj: dict[str, Any]) -> None:
    """Give a Helm hook the Argo CD hook annotations it would get in Argo CD (when absent)."""
    annotations = (obj.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or HELM_HOOK not in annotations or ARGO_HOOK in annotations:
        return
    helm_types = [t.strip() for t in str(annotations[HELM_HOOK]).split(",") if t.strip()]
    if helm_types == ["crd-install"]:
        return  # Argo CD handles crd-install hooks as ordinary resources
    argo_types = list(dict.fromkeys(HOOK_TYPES[t] for t in helm_types if t in HOOK_TYPES))
    annotations[ARGO_HOOK] = ",".join(argo_types) if argo_types else "Skip"
    policies = [p.strip() for p in str(annotations.get(HELM_DELETE_POLICY, "")).split(",") if p.strip()]
    mapped = [DELETE_POLICIES[p] for p in policies if p in DELETE_POLICIES]
    if mapped and ARGO_DELETE_POLICY not in annotations:
        annotations[ARGO_DELETE_POLICY] = ",".join(mapped)
    if HELM_WEIGHT in annotations and ARGO_WAVE not in annotations:
        annotations[ARGO_WAVE] = str(annotations[HELM_WEIGHT]).strip()


def render_helm(job: RenderJob) -> Rendered:
    limits = job.settings.limits
    scratch_parent = job.settings.work_dir
    if scratch_parent is not None:
        scratch_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="helm-", dir=scratch_parent) as scratch:
        chart_dir, dependency_inputs = prepare_chart(job, Path(scratch))
        argv, inputs = helm_argv(job, Path(scratch))
        inputs |= dependency_inputs
        out = run_tool(
            argv,
            app=job.app,
            target=f"helm template {job.source.path or '.'}",
            cwd=chart_dir,
            timeout=job.settings.timeout_seconds,
            memory_bytes=job.settings.memory_bytes,
            max_output_bytes=limits.max_manifest_bytes * 2,
            extra_env=job.env(),
            hide_paths=job.hidden_paths(scratch),
        )
    text = out.decode("utf-8", "replace")
    sources = [
        (text.count("\n", 0, m.start()) + 1, m.group(1).strip()) for m in _SOURCE_COMMENT.finditer(text)
    ]
    rendered = Rendered(inputs=inputs)
    for line, data in load_documents(
        text, app=job.app, source="helm template output", max_nodes=limits.max_yaml_nodes
    ):
        origin = next(
            (name for start, name in reversed(sources) if start <= line), f"helm output line {line}"
        )
        for obj in flatten_lists(data):
            if isinstance(obj, dict):
                map_helm_hooks(obj)
            rendered.documents.append((origin, obj))
    return rendered
