"""From a set and its parameter sets to Applications, and from those to writes.

`desired_applications(appset, param_sets, renderer)` renders the template once per set: the
Application lives in the set's namespace, carries an ownerReference to the set (controller,
blockOwnerDeletion) and, unless `syncPolicy.preserveResourcesOnDeletion`, the resources finalizer
(so deleting it deletes its resources, as Argo CD). Names must be valid and unique (else SpecError
and nothing is written).

`plan_writes(desired, existing, appset_uid, policy)` compares with the namespace's Applications per
`applicationsSync`: create-only, create-update, create-delete, sync (default). An existing
Application of the same name not owned by the set is never touched (a conflict is reported).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops.appsets.params import Params
from gitops.appsets.render import TemplateRenderer
from gitops.errors import SpecError

Obj = dict[str, Any]
API_VERSION = "argoproj.io/v1alpha1"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
POLICIES = ("create-only", "create-update", "create-delete", "sync")
PRESERVED_ANNOTATIONS = ("argocd.argoproj.io/refresh",)
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def sync_policy(appset: Mapping[str, Any]) -> tuple[str, bool]:
    """(`applicationsSync` policy, `preserveResourcesOnDeletion`) of the set; SpecError if unknown."""
    raw = (appset.get("spec") or {}).get("syncPolicy") or {}
    policy = str(raw.get("applicationsSync") or "sync")
    if policy not in POLICIES:
        raise SpecError(f"applicationsSync {policy!r} is not one of {', '.join(POLICIES)}",
                        target="spec.syncPolicy.applicationsSync")  # fmt: skip
    return policy, bool(raw.get("preserveResourcesOnDeletion", False))


def owner_reference(appset: Mapping[str, Any]) -> Obj:
    meta = appset.get("metadata") or {}
    return {"apiVersion": API_VERSION, "kind": "ApplicationSet", "name": str(meta.get("name")),
            "uid": str(meta.get("uid") or ""), "controller": True, "blockOwnerDeletion": True}  # fmt: skip


def owned_by(app: Mapping[str, Any], appset_uid: str, appset_name: str) -> bool:
    for ref in (app.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "ApplicationSet" and (
            ref.get("uid") == appset_uid if appset_uid else ref.get("name") == appset_name
        ):
            return True
    return False


def desired_applications(
    appset: Mapping[str, Any], param_sets: list[Params], renderer: TemplateRenderer
) -> list[Obj]:
    meta = appset.get("metadata") or {}
    spec = appset.get("spec") or {}
    template = spec.get("template") or {}
    if not isinstance(template, Mapping) or not (template.get("metadata") or {}).get("name"):
        raise SpecError("the template needs metadata.name", target="spec.template.metadata.name")
    _policy, preserve = sync_policy(appset)
    out: list[Obj] = []
    seen: dict[str, int] = {}
    for index, params in enumerate(param_sets):
        rendered = renderer.render(dict(template), params)
        tmeta = rendered.get("metadata") or {}
        name = str(tmeta.get("name") or "")
        if not _NAME.match(name):
            raise SpecError(f"parameter set {index} renders the Application name {name!r}, not a valid name",
                            target="spec.template.metadata.name",
                            hint="use lower-case letters, digits, '-' and '.' (nameNormalized helps)")  # fmt: skip
        if name in seen:
            raise SpecError(f"parameter sets {seen[name]} and {index} both render Application {name!r}",
                            target="spec.template.metadata.name",
                            hint="make the name depend on a parameter that differs between sets")  # fmt: skip
        seen[name] = index
        finalizers = [str(f) for f in tmeta.get("finalizers") or []]
        if (
            not preserve
            and RESOURCES_FINALIZER not in finalizers
            and not any(f.startswith(RESOURCES_FINALIZER) for f in finalizers)
        ):
            finalizers.append(RESOURCES_FINALIZER)
        app_spec = dict(rendered.get("spec") or {})
        app_spec.setdefault("project", "default")
        app_meta: Obj = {"name": name, "namespace": str(meta.get("namespace") or ""),
                         "labels": dict(tmeta.get("labels") or {}), "annotations": dict(tmeta.get("annotations") or {}),
                         "finalizers": finalizers, "ownerReferences": [owner_reference(appset)]}  # fmt: skip
        out.append({"apiVersion": API_VERSION, "kind": "Application", "metadata": app_meta, "spec": app_spec})
    return out


@dataclass
class WritePlan:
    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)  # full objects to PUT (resourceVersion kept)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # messages


def _updated(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Obj | None:
    """The existing object with the desired spec/labels/annotations/finalizers, or None when equal."""
    meta, want = existing.get("metadata") or {}, desired["metadata"]
    annotations = dict(want.get("annotations") or {})
    for key in PRESERVED_ANNOTATIONS:
        if key in (meta.get("annotations") or {}):
            annotations[key] = meta["annotations"][key]
    changes = {"labels": dict(want.get("labels") or {}), "annotations": annotations,
               "finalizers": list(want.get("finalizers") or []), "ownerReferences": list(want["ownerReferences"])}  # fmt: skip
    same = existing.get("spec") == desired["spec"] and all(
        (meta.get(k) or type(v)()) == v for k, v in changes.items()
    )
    if same:
        return None
    new = copy.deepcopy(dict(existing))
    new["spec"] = copy.deepcopy(desired["spec"])
    new.setdefault("metadata", {}).update(changes)
    new.pop("status", None)
    return new


def plan_writes(
    appset: Mapping[str, Any], desired: list[Obj], existing: Sequence[Mapping[str, Any]], policy: str
) -> WritePlan:
    meta = appset.get("metadata") or {}
    uid, set_name = str(meta.get("uid") or ""), str(meta.get("name") or "")
    by_name = {str((a.get("metadata") or {}).get("name")): a for a in existing}
    plan = WritePlan()
    wanted = set()
    for app in desired:
        name = app["metadata"]["name"]
        wanted.add(name)
        current = by_name.get(name)
        if current is None:
            plan.create.append(app)
        elif not owned_by(current, uid, set_name):
            plan.conflicts.append(
                f"Application {name} already exists and is not owned by ApplicationSet {set_name}"
            )
        elif policy in ("create-only", "create-delete"):
            plan.unchanged.append(name)
        else:
            new = _updated(current, app)
            if new is None:
                plan.unchanged.append(name)
            else:
                plan.update.append(new)
    if policy in ("create-delete", "sync"):
        for name, current in sorted(by_name.items()):
            deleting = (current.get("metadata") or {}).get("deletionTimestamp")
            if name not in wanted and owned_by(current, uid, set_name) and not deleting:
                plan.delete.append(name)
    return plan
