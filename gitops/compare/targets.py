"""Desired objects made ready to compare and apply: namespace defaulted, tracking marked, hooks read.

The destination namespace is set only on namespaced kinds without one (scope from discovery, or from
a CustomResourceDefinition in the same manifests when the kind is not served yet); cluster-scoped
objects lose any namespace. Every object gets the tracking annotation and the app label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gitops.cluster.port import ClusterPort, ResourceInfo, split_api_version
from gitops.compare.result import Condition
from gitops.errors import ClusterError, SourceError
from gitops.tracking import DEFAULT_TRACKING_ANNOTATION, ResourceKey, mark

Obj = dict[str, Any]

HOOK = "argocd.argoproj.io/hook"
HELM_HOOK = "helm.sh/hook"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
HELM_HOOK_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "pre-delete": "PreDelete",
    "post-delete": "PostDelete",
}


def _annotations(obj: Obj | None) -> dict[str, str]:
    return ((obj or {}).get("metadata") or {}).get("annotations") or {}


def hook_types(obj: Obj | None) -> list[str]:
    """Argo CD hook types of an object (`argocd.argoproj.io/hook` wins over helm.sh/hook); [] if none."""
    annotations = _annotations(obj)
    if HOOK in annotations:
        return [part.strip() for part in str(annotations[HOOK]).split(",") if part.strip()]
    if HELM_HOOK in annotations:
        types = [HELM_HOOK_PHASES.get(part.strip(), "") for part in str(annotations[HELM_HOOK]).split(",")]
        return [t for t in dict.fromkeys(types) if t] or ["Skip"]
    return []


def is_skipped(obj: Obj | None) -> bool:
    return "Skip" in hook_types(obj)


def is_hook(obj: Obj | None) -> bool:
    types = hook_types(obj)
    return bool(types) and "Skip" not in types


def sync_wave(obj: Obj | None) -> int:
    annotations = _annotations(obj)
    raw = annotations.get(SYNC_WAVE, annotations.get(HELM_HOOK_WEIGHT, "0"))
    try:
        return int(str(raw).strip())
    except ValueError:
        return 0


def compare_options(obj: Obj | None) -> set[str]:
    return {
        part.strip() for part in str(_annotations(obj).get(COMPARE_OPTIONS, "")).split(",") if part.strip()
    }


class ManifestError(SourceError):
    """A rendered document cannot be compared (no apiVersion, kind or name): a ComparisonError."""


@dataclass(slots=True)
class Target:
    """One desired object, ready to compare and apply."""

    key: ResourceKey
    version: str
    obj: Obj
    info: ResourceInfo | None
    namespaced: bool
    hook: bool
    skip: bool
    wave: int


def _crd_scopes(desired: Iterable[Obj]) -> dict[tuple[str, str], bool]:
    scopes = {}
    for obj in desired:
        if (
            isinstance(obj, dict)
            and obj.get("kind") == "CustomResourceDefinition"
            and str(obj.get("apiVersion", "")).startswith("apiextensions.k8s.io/")
        ):
            spec = obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            if kind:
                scopes[(str(spec.get("group") or ""), str(kind))] = (
                    spec.get("scope", "Namespaced") == "Namespaced"
                )
    return scopes


def _check_document(app: str, index: int, raw: Any) -> None:
    """A manifest without apiVersion, kind or a name cannot be compared: ManifestError naming it."""
    if not isinstance(raw, dict):
        raise ManifestError(
            f"document {index} is a {type(raw).__name__}, not an object",
            app=app,
            target=f"manifest #{index}",
            hint="fix the manifest in Git",
        )
    meta: dict[str, Any] = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
    missing = [
        field
        for field, value in (("apiVersion", raw.get("apiVersion")), ("kind", raw.get("kind")))
        if not value
    ]
    if not (meta.get("name") or meta.get("generateName")):
        missing.append("metadata.name")
    if missing:
        what = f"{raw.get('kind') or 'object'} {meta.get('name') or ''}".strip()
        raise ManifestError(
            f"{what} has no {', '.join(missing)}",
            app=app,
            target=f"manifest #{index}",
            hint="fix the manifest in Git",
        )


def prepare_targets(
    port: ClusterPort,
    app: str,
    desired: list[Obj],
    destination_namespace: str,
    annotation: str = DEFAULT_TRACKING_ANNOTATION,
) -> tuple[list[Target], list[Condition]]:
    """Targets in input order (a repeated object keeps its last definition: RepeatedResourceWarning).

    Raises ClusterError when discovery itself fails (other than "kind not served"), ManifestError for
    a document without apiVersion, kind or name.
    """
    scopes = _crd_scopes(desired)
    targets: dict[ResourceKey, Target] = {}
    conditions: list[Condition] = []
    for index, raw in enumerate(desired):
        _check_document(app, index, raw)
        api_version, kind = str(raw.get("apiVersion") or ""), str(raw.get("kind") or "")
        group, version = split_api_version(api_version)
        info: ResourceInfo | None
        try:
            info = port.resource_for(api_version, kind)
            namespaced = info.namespaced
        except ClusterError as exc:
            if exc.code != 404:
                raise
            info, namespaced = None, scopes.get((group, kind), True)
        meta = dict(raw.get("metadata") or {})
        if namespaced and not meta.get("namespace"):
            if not destination_namespace:
                raise ManifestError(
                    f"{kind} {meta.get('name') or meta.get('generateName')} is namespaced but has no namespace, and the app has no destination namespace",
                    app=app,
                    target=f"manifest #{index}",
                    hint="set spec.destination.namespace or metadata.namespace",
                )
            meta["namespace"] = destination_namespace
        elif not namespaced:
            meta.pop("namespace", None)
        obj = {**raw, "metadata": meta}
        name = str(meta.get("name") or meta.get("generateName") or "")
        key = ResourceKey(group, kind, str(meta.get("namespace") or "") if namespaced else "", name)
        if key in targets:
            conditions.append(
                Condition(
                    "RepeatedResourceWarning",
                    f"Resource {key} appeared more than once; the last definition is used",
                )
            )
            del targets[key]
        targets[key] = Target(
            key=key,
            version=version,
            obj=mark(obj, app, key, annotation),
            info=info,
            namespaced=namespaced,
            hook=is_hook(obj),
            skip=is_skipped(obj),
            wave=sync_wave(obj),
        )
    return list(targets.values()), conditions
