"""Kustomize apps: `kustomize build` (or `kubectl kustomize`) with Argo CD's overrides applied.

Argo CD applies `spec.source.kustomize` by running `kustomize edit set image/nameprefix/...` in the
app directory. The snapshot is read-only and `kubectl kustomize` has no `edit`, so Bosun copies the
kustomization's closure (see kustomize_tree) into a scratch directory, applies the same edits to
the app's kustomization file there (same semantics: images and replicas replaced by name, prefix,
suffix and namespace set, labels/annotations added, `--force` only with forceCommon*), then builds
with `--load-restrictor LoadRestrictionsRootOnly`. Without overrides it builds the snapshot as is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from gitops.errors import RenderError
from gitops.source.render.job import Rendered, RenderJob, envsubst, flatten_lists
from gitops.source.render.kustomize_tree import KustomizeTree, kustomization_file, walk_kustomization
from gitops.source.render.process import run_tool
from gitops.source.render.safety import confine
from gitops.source.render.yaml_loader import load_documents
from gitops.source.spec import Kustomize


def has_overrides(k: Kustomize | None) -> bool:
    if k is None:
        return False
    return bool(
        k.name_prefix
        or k.name_suffix
        or k.images
        or k.common_labels
        or k.common_annotations
        or k.namespace
        or k.replicas
        or k.patches
        or k.components
    )


def parse_image(spec: str) -> dict[str, str]:
    """`kustomize edit set image` argument -> images entry (name, newName, newTag, digest)."""
    name, sep, target = spec.partition("=")
    entry: dict[str, str] = {}
    reference = target if sep else spec
    digest = ""
    if "@" in reference:
        reference, digest = reference.split("@", 1)
    tag = ""
    colon = reference.rfind(":")
    if colon > reference.rfind("/"):
        reference, tag = reference[:colon], reference[colon + 1 :]
    if sep:
        entry["name"] = name
        if reference and reference != name:
            entry["newName"] = reference
    else:
        entry["name"] = reference
    if tag:
        entry["newTag"] = tag
    if digest:
        entry["digest"] = digest
    return entry


def _set_image(kustomization: dict[str, Any], entry: dict[str, str]) -> None:
    images = kustomization.setdefault("images", [])
    for existing in images:
        if isinstance(existing, dict) and existing.get("name") == entry["name"]:
            if "newName" in entry:
                existing["newName"] = entry["newName"]
            if "newTag" in entry:
                existing["newTag"] = entry["newTag"]
                existing.pop("digest", None)
            if "digest" in entry:
                existing["digest"] = entry["digest"]
                existing.pop("newTag", None)
            return
    images.append(entry)


def _add_pairs(
    kustomization: dict[str, Any], field: str, pairs: dict[str, str], *, force: bool, job: RenderJob
) -> None:
    current = kustomization.setdefault(field, {}) or {}
    kustomization[field] = current
    for key, value in pairs.items():
        if key in current and not force:
            kind = "label" if field == "commonLabels" else "annotation"
            raise RenderError(
                f"{kind} {key} already in kustomization file",
                app=job.app,
                target=job.source.path or ".",
                hint=f"set kustomize.forceCommon{kind.capitalize()}s to overwrite it",
            )
        current[key] = value


def apply_overrides(kustomization: dict[str, Any], job: RenderJob, app_dir: Path) -> None:
    """The `kustomize edit` commands Argo CD runs, applied to the parsed kustomization."""
    k = job.source.kustomize or Kustomize()
    env = job.env()
    if k.name_prefix:
        kustomization["namePrefix"] = k.name_prefix
    if k.name_suffix:
        kustomization["nameSuffix"] = k.name_suffix
    for image in k.images:
        _set_image(kustomization, parse_image(envsubst(image, env)))
    for replica in k.replicas:
        count = replica.count if isinstance(replica.count, int) else envsubst(replica.count, env)
        try:
            number = int(count)
        except ValueError:
            raise RenderError(
                f"kustomize.replicas {replica.name}: count {count!r} is not a number",
                app=job.app,
                hint="fix the Application spec",
            ) from None
        replicas = [
            r
            for r in kustomization.get("replicas") or []
            if not (isinstance(r, dict) and r.get("name") == replica.name)
        ]
        kustomization["replicas"] = [*replicas, {"name": replica.name, "count": number}]
    if k.common_labels:
        labels = {key: envsubst(value, env) for key, value in k.common_labels.items()}
        if k.label_without_selector:
            entry: dict[str, Any] = {"pairs": labels, "includeSelectors": False}
            if k.label_include_templates:
                entry["includeTemplates"] = True
            kustomization.setdefault("labels", []).append(entry)
        else:
            _add_pairs(kustomization, "commonLabels", labels, force=k.force_common_labels, job=job)
    if k.common_annotations:
        annotations = {
            key: envsubst(v, env) if k.common_annotations_envsubst else v
            for key, v in k.common_annotations.items()
        }
        _add_pairs(kustomization, "commonAnnotations", annotations, force=k.force_common_annotations, job=job)
    if k.namespace:
        kustomization["namespace"] = k.namespace
    for index, patch in enumerate(k.patches):
        entry = patch.model_dump(by_alias=True, exclude_defaults=True, exclude_none=True)
        if patch.path:
            confine(
                job.repo_root,
                os.path.join(job.source.path or ".", patch.path),
                app=job.app,
                what=f"kustomize.patches[{index}].path",
            )
        kustomization.setdefault("patches", []).append(entry)
    for index, component in enumerate(k.components):
        path = confine(
            job.repo_root,
            os.path.join(job.source.path or ".", component),
            app=job.app,
            what=f"kustomize.components[{index}]",
        )
        if not path.exists():
            if k.ignore_missing_components:
                continue
            raise RenderError(
                f"kustomize.components[{index}] {component!r} not found",
                app=job.app,
                hint="fix the path or set ignoreMissingComponents",
            )
        kustomization.setdefault("components", []).append(component)


def _copy_closure(job: RenderJob, tree: KustomizeTree, scratch: Path) -> None:
    """Hard-link (or copy) every file kustomize may read into `scratch`, keeping repo layout."""
    root = Path(os.path.realpath(job.repo_root))
    files = set(tree.files)
    for directory in tree.directories:
        for entry in os.scandir(root / directory):
            if entry.is_file():
                files.add(os.path.normpath(os.path.join(directory, entry.name)))
    for relative in sorted(files):
        source, target = root / relative, scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(os.path.realpath(source), target)
        except OSError:
            shutil.copyfile(source, target)
    for directory in tree.directories:
        (scratch / directory).mkdir(parents=True, exist_ok=True)


def _build_argv(job: RenderJob, directory: Path) -> list[str]:
    settings = job.settings
    if settings.kustomize_path:
        argv = [settings.kustomize_path, "build", os.path.realpath(directory)]
    else:
        argv = [settings.kubectl_path, "kustomize", os.path.realpath(directory)]
    return [*argv, "--load-restrictor", "LoadRestrictionsRootOnly"]


def render_kustomize(job: RenderJob) -> Rendered:
    limits = job.settings.limits
    tree = walk_kustomization(
        job.repo_root,
        job.app_dir,
        app=job.app,
        allow_network=job.settings.kustomize_allow_network,
        max_bytes=limits.max_manifest_bytes,
    )
    overrides = job.source.kustomize or Kustomize()
    for component in overrides.components:  # components added by the Application are walked too
        path = confine(
            job.repo_root,
            os.path.join(job.source.path or ".", component),
            app=job.app,
            what="kustomize.components",
        )
        if path.is_dir():
            extra = walk_kustomization(
                job.repo_root,
                path,
                app=job.app,
                allow_network=job.settings.kustomize_allow_network,
                max_bytes=limits.max_manifest_bytes,
            )
            tree.directories |= extra.directories
            tree.files |= extra.files
    for index, patch in enumerate(overrides.patches):
        if patch.path:
            path = confine(
                job.repo_root,
                os.path.join(job.source.path or ".", patch.path),
                app=job.app,
                what=f"kustomize.patches[{index}].path",
            )
            tree.files.add(job.display(path))
    app_relative = os.path.relpath(os.path.realpath(job.app_dir), os.path.realpath(job.repo_root))
    work_parent = job.settings.work_dir
    if work_parent is not None:
        work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kustomize-", dir=work_parent) as scratch:
        build_dir = job.app_dir
        if has_overrides(job.source.kustomize) or kustomization_file(job.app_dir) is None:
            _copy_closure(job, tree, Path(scratch))
            build_dir = Path(scratch) / app_relative
            original = kustomization_file(build_dir)
            if original is None:
                original = build_dir / "kustomization.yaml"  # Argo CD would `kustomize create`
                data: Any = {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": sorted(
                        e.name for e in os.scandir(job.app_dir) if e.name.endswith((".yaml", ".yml", ".json"))
                    ),
                }
            else:
                data = yaml.safe_load(original.read_text()) or {}
                original.unlink()  # drop the hard link before writing our edited copy
            apply_overrides(data, job, build_dir)
            original.write_text(yaml.safe_dump(data, sort_keys=False))
        out = run_tool(
            _build_argv(job, build_dir),
            app=job.app,
            target=f"kustomize build {job.source.path or '.'}",
            cwd=build_dir,
            timeout=job.settings.timeout_seconds,
            memory_bytes=job.settings.memory_bytes,
            max_output_bytes=limits.max_manifest_bytes * 2,
            extra_env=job.env(),
            hide_paths=job.hidden_paths(scratch),
        )
    text = out.decode("utf-8", "replace")
    rendered = Rendered(inputs=tree.directories | tree.files)
    origin = f"kustomize build {job.source.path or '.'}"
    for line, data in load_documents(
        text, app=job.app, source=f"{origin} output", max_nodes=limits.max_yaml_nodes
    ):
        rendered.documents.extend((f"{origin} (output line {line})", obj) for obj in flatten_lists(data))
    return rendered
