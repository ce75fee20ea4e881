"""Which objects belong to which app: Argo CD's tracking annotation plus a selector label.

The annotation (key: setting `tracking_annotation`, default `bosun.dev/tracking-id`) holds Argo CD's
value format `<app>:<group>/<kind>:<namespace>/<name>` and is the truth: only an object whose
annotation names this app AND the object itself is tracked (a manifest copied with its annotation is
not). The label `bosun.dev/app` (the app name, or a stable hash when the name is no valid label value)
only lets live state be read with one LIST per kind by label selector.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

APP_LABEL = "bosun.dev/app"
DEFAULT_TRACKING_ANNOTATION = "bosun.dev/tracking-id"
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """An object's identity inside a cluster; namespace is `` for cluster-scoped kinds."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any], namespaced: bool = True) -> ResourceKey:
        meta = obj.get("metadata") or {}
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        namespace = str(meta.get("namespace") or "") if namespaced else ""
        return cls(group, str(obj.get("kind") or ""), namespace, str(meta.get("name") or ""))

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.group or 'core'}/{self.kind} {where}"


@dataclass(frozen=True, slots=True)
class TrackingId:
    """A parsed tracking annotation value."""

    app: str
    key: ResourceKey

    def __str__(self) -> str:
        return f"{self.app}:{self.key.group}/{self.key.kind}:{self.key.namespace}/{self.key.name}"


def tracking_value(app: str, key: ResourceKey) -> str:
    """`guestbook:apps/Deployment:prod/web`, `guestbook:/Namespace:/prod`."""
    return str(TrackingId(app, key))


def parse_tracking_value(value: str | None) -> TrackingId | None:
    """The app and object an annotation value names, or None when it is not in Argo CD's format."""
    if not value:
        return None
    app, sep, rest = value.partition(":")
    group_kind, sep2, namespace_name = rest.partition(":")
    if not (app and sep and sep2) or "/" not in group_kind or "/" not in namespace_name:
        return None
    group, _, kind = group_kind.rpartition("/")
    namespace, _, name = namespace_name.partition("/")
    if not kind or not name:
        return None
    return TrackingId(app, ResourceKey(group, kind, namespace, name))


@lru_cache(maxsize=4096)
def app_label_value(app: str) -> str:
    """The app name when it is a valid label value, else a stable 40-hex-digit hash of it."""
    if len(app) <= 63 and _LABEL_VALUE.match(app):
        return app
    return "h" + hashlib.sha256(app.encode()).hexdigest()[:40]


def label_selector(app: str) -> str:
    return f"{APP_LABEL}={app_label_value(app)}"


def mark(obj: Obj, app: str, key: ResourceKey, annotation: str = DEFAULT_TRACKING_ANNOTATION) -> Obj:
    """A copy of obj carrying the tracking annotation and the app label."""
    marked = copy.copy(obj)
    meta = dict(marked.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), annotation: tracking_value(app, key)}
    meta["labels"] = {**(meta.get("labels") or {}), APP_LABEL: app_label_value(app)}
    marked["metadata"] = meta
    return marked


def tracked_by(
    obj: Mapping[str, Any], key: ResourceKey, annotation: str = DEFAULT_TRACKING_ANNOTATION
) -> str | None:
    """The app tracking this object, or None if untracked or the annotation names another object (a copy)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    parsed = parse_tracking_value(annotations.get(annotation))
    if parsed is None or parsed.key != key:
        return None
    return parsed.app


@dataclass(frozen=True, slots=True)
class KindRef:
    """A kind to list: apiVersion and kind (its ResourceInfo is resolved through the cluster port)."""

    api_version: str
    kind: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


def kinds_to_list(
    desired: Iterable[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]]
) -> list[KindRef]:
    """Kinds of the desired objects plus kinds in the app's last `status.resources` (to find extraneous ones).

    One entry per (group, kind): the desired object's apiVersion wins over the recorded one.
    """
    chosen: dict[tuple[str, str], KindRef] = {}
    for obj in desired:
        ref = KindRef(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
        chosen.setdefault((ref.group, ref.kind), ref)
    for resource in previous:
        group, version, kind = (
            str(resource.get("group") or ""),
            str(resource.get("version") or ""),
            str(resource.get("kind") or ""),
        )
        if kind and version:
            chosen.setdefault((group, kind), KindRef(f"{group}/{version}" if group else version, kind))
    return sorted(chosen.values(), key=lambda ref: (ref.group, ref.kind))
