"""The Application source model: Argo CD's `spec.source` / `spec.sources[]`, strictly validated.

`parse_application(app_dict)` returns an `ApplicationSourceView` (what rendering needs of one
Application) or raises `SpecError` naming the app and the field path, e.g.
`spec.source.helm.parameters[0].name: field required`. Unknown fields and wrong types are refused,
as the Kubernetes API server would refuse them for Argo CD's CRD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gitops.errors import SpecError
from gitops.source.repo_url import validate as validate_repo_url
from gitops.source.spec_models import (
    Directory,
    Helm,
    HelmFileParameter,
    HelmParameter,
    Jsonnet,
    JsonnetVar,
    Kustomize,
    KustomizePatch,
    KustomizePatchTarget,
    KustomizeReplica,
    Plugin,
    PluginEnv,
    SourceSpec,
)

MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
REF_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
__all__ = [
    "AppContext",
    "ApplicationSourceView",
    "Directory",
    "Helm",
    "HelmFileParameter",
    "HelmParameter",
    "Jsonnet",
    "JsonnetVar",
    "Kustomize",
    "KustomizePatch",
    "KustomizePatchTarget",
    "KustomizeReplica",
    "Plugin",
    "PluginEnv",
    "SourceSpec",
    "parse_application",
    "parse_source",
]


@dataclass(frozen=True)
class ApplicationSourceView:
    """What the source side needs to know of one Application."""

    name: str
    namespace: str
    destination_namespace: str
    sources: tuple[SourceSpec, ...]
    multi_source: bool
    manifest_generate_paths: tuple[str, ...] = ()
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppContext:
    """One source of one app being rendered: feeds the build environment and Helm defaults."""

    app_name: str
    app_namespace: str
    destination_namespace: str
    revision: str
    repo_url: str  # already credential-free
    source_path: str
    target_revision: str
    kube_version: str = ""
    api_versions: tuple[str, ...] = field(default_factory=tuple)

    def build_env(self) -> dict[str, str]:
        """The environment Argo CD gives renderers (names and meanings identical)."""
        return {
            "ARGOCD_APP_NAME": self.app_name,
            "ARGOCD_APP_NAMESPACE": self.app_namespace,
            "ARGOCD_APP_REVISION": self.revision,
            "ARGOCD_APP_REVISION_SHORT": self.revision[:7],
            "ARGOCD_APP_REVISION_SHORT_8": self.revision[:8],
            "ARGOCD_APP_SOURCE_PATH": self.source_path,
            "ARGOCD_APP_SOURCE_REPO_URL": self.repo_url,
            "ARGOCD_APP_SOURCE_TARGET_REVISION": self.target_revision,
            "KUBE_VERSION": self.kube_version,
            "KUBE_API_VERSIONS": ",".join(self.api_versions),
        }


def _loc(prefix: str, loc: tuple[int | str, ...]) -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    msg = str(error["msg"])
    return msg[:1].lower() + msg[1:]


def parse_source(data: Any, *, app: str, where: str) -> SourceSpec:
    """Validate one source dict; `where` is its field path (`spec.source`, `spec.sources[1]`)."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: must be an object", app=app, hint="fix the Application spec")
    try:
        source = SourceSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SpecError(
            f"{_loc(where, tuple(first['loc']))}: {_message(first)}", app=app, hint="fix the Application spec"
        ) from None
    _check_source(source, app=app, where=where)
    return source


def _check_source(source: SourceSpec, *, app: str, where: str) -> None:
    hint = "fix the Application spec"
    if not source.repo_url.strip():
        raise SpecError(f"{where}.repoURL: must not be empty", app=app, hint=hint)
    blocks = [b for b in (source.helm, source.kustomize, source.directory, source.plugin) if b is not None]
    if len(blocks) > 1:
        raise SpecError(
            f"{where}: multiple application sources defined (helm, kustomize, directory, plugin)",
            app=app,
            hint=hint,
        )
    if source.plugin is not None:
        raise SpecError(
            f"{where}.plugin: config management plugins are not supported by Bosun",
            app=app,
            hint="render with helm, kustomize, jsonnet or plain manifests",
        )
    if source.chart:
        raise SpecError(
            f"{where}.chart: Helm chart repositories are not supported; point repoURL at a Git repository holding the chart",
            app=app,
            hint=hint,
        )
    if source.ref and not REF_NAME.match(source.ref):
        raise SpecError(f"{where}.ref: {source.ref!r} must match [a-zA-Z0-9_-]+", app=app, hint=hint)
    if source.kustomize is not None and source.kustomize.version:
        raise SpecError(
            f"{where}.kustomize.version: selecting a kustomize version is not supported; set BOSUN_KUSTOMIZE_PATH",
            app=app,
            hint=hint,
        )
    try:
        validate_repo_url(source.repo_url)
    except SpecError as exc:
        raise SpecError(f"{where}.repoURL: {exc.message}", app=app, hint=exc.hint) from None


def _check_refs(sources: tuple[SourceSpec, ...], *, app: str) -> None:
    refs: set[str] = set()
    for i, source in enumerate(sources):
        if source.ref:
            if source.ref in refs:
                raise SpecError(
                    f"spec.sources[{i}].ref: duplicate ref {source.ref!r}",
                    app=app,
                    hint="give each ref a unique name",
                )
            refs.add(source.ref)
    for i, source in enumerate(sources):
        for j, value_file in enumerate(source.helm.value_files if source.helm else ()):
            if value_file.startswith("$"):
                ref = value_file[1:].split("/", 1)[0]
                if ref not in refs:
                    raise SpecError(
                        f"spec.sources[{i}].helm.valueFiles[{j}]: {value_file!r} names no source with ref {ref!r}",
                        app=app,
                        hint="add `ref:` to the source holding the values",
                    )


def parse_application(app: dict[str, Any]) -> ApplicationSourceView:
    """Read the source side of an Application resource (a dict as the API returns it)."""
    metadata = app.get("metadata") or {}
    name = str(metadata.get("name") or "")
    if not name:
        raise SpecError("metadata.name: field required", hint="name the Application")
    spec = app.get("spec")
    if not isinstance(spec, dict):
        raise SpecError("spec: field required", app=name, hint="fix the Application spec")
    destination = spec.get("destination") or {}
    if not isinstance(destination, dict):
        raise SpecError("spec.destination: must be an object", app=name, hint="fix the Application spec")
    raw_sources = spec.get("sources")
    if raw_sources:
        if not isinstance(raw_sources, list):
            raise SpecError("spec.sources: must be a list", app=name, hint="fix the Application spec")
        sources = tuple(
            parse_source(s, app=name, where=f"spec.sources[{i}]") for i, s in enumerate(raw_sources)
        )
        _check_refs(sources, app=name)
        multi = True
    elif spec.get("source") is not None:
        source = parse_source(spec["source"], app=name, where="spec.source")
        if source.helm and any(v.startswith("$") for v in source.helm.value_files):
            raise SpecError(
                "spec.source.helm.valueFiles: `$ref/...` value files need spec.sources",
                app=name,
                hint="use spec.sources with a ref source",
            )
        sources, multi = (source,), False
    else:
        raise SpecError("spec.source: field required (or spec.sources)", app=name, hint="add a source")
    annotations = metadata.get("annotations") or {}
    paths = str(annotations.get(MANIFEST_GENERATE_PATHS) or "")
    return ApplicationSourceView(
        name=name,
        namespace=str(metadata.get("namespace") or ""),
        destination_namespace=str(destination.get("namespace") or ""),
        sources=sources,
        multi_source=multi,
        manifest_generate_paths=tuple(p.strip() for p in paths.split(";") if p.strip()),
    )
