"""Child Applications in a parent's manifests land in the management namespace.

`place_children(app, objects, management_namespace, destination_server)` returns the manifests with
every `argoproj.io` Application (and ApplicationSet) placed in the management namespace when it
names none. Refused with a SpecError naming the child (and nothing is applied): a child in another
namespace (Bosun only reads its own namespace), a parent not deployed to the management cluster
(`https://kubernetes.default.svc` / `in-cluster`), or a child named like its parent.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gitops.errors import SpecError

IN_CLUSTER = ("https://kubernetes.default.svc", "in-cluster")
CHILD_KINDS = ("Application", "ApplicationSet")
Obj = dict[str, Any]


def is_child(obj: Mapping[str, Any]) -> bool:
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    return group == "argoproj.io" and obj.get("kind") in CHILD_KINDS


def place_children(
    app: str, objects: list[Obj], management_namespace: str, destination: Mapping[str, Any]
) -> list[Obj]:
    children = [o for o in objects if is_child(o)]
    if not children:
        return objects
    server = str(destination.get("server") or "").rstrip("/")
    name = str(destination.get("name") or "")
    if server not in ("", IN_CLUSTER[0]) or (not server and name != IN_CLUSTER[1]):
        first = (children[0].get("metadata") or {}).get("name")
        raise SpecError(
            f"the manifests hold {children[0].get('kind')} {first}, but the app is deployed to {server or name}",
            app=app, target="spec.destination",
            hint="an app of apps must target the management cluster (https://kubernetes.default.svc)",
        )  # fmt: skip
    placed = []
    for obj in objects:
        if not is_child(obj):
            placed.append(obj)
            continue
        meta = obj.get("metadata") or {}
        child = str(meta.get("name") or "")
        namespace = str(meta.get("namespace") or "")
        if namespace and namespace != management_namespace:
            raise SpecError(
                f"{obj.get('kind')} {child} declares namespace {namespace}",
                app=app, target=f"{obj.get('kind')} {child}",
                hint=f"Bosun reads Applications from {management_namespace} only: remove metadata.namespace or set it to {management_namespace}",
            )  # fmt: skip
        if obj.get("kind") == "Application" and child == app:
            raise SpecError(f"Application {child} manages itself", app=app, target=f"Application {child}",
                            hint="give the child another name")  # fmt: skip
        copied = copy.deepcopy(obj)
        copied.setdefault("metadata", {})["namespace"] = management_namespace
        placed.append(copied)
    return placed
