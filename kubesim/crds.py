"""CustomResourceDefinitions: validating and completing a CRD, its status conditions (NamesAccepted,
Established), serving its versions, and removing its objects when it is deleted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kubesim import meta
from kubesim.errors import invalid
from kubesim.resources import ALL_VERBS, CRDS, ResourceType

if TYPE_CHECKING:
    from kubesim.api import Api

Obj = dict[str, Any]
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """kube's version order: GA before beta before alpha, higher numbers first, then non-kube names."""
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    stage = {"": 0, "beta": 1, "alpha": 2}[m.group(2) or ""]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, version)


def _is_crd(rt: ResourceType) -> bool:
    return rt.storage_key == CRDS.storage_key


def _cause(field: str, message: str) -> tuple[str, str, str]:
    return ("FieldValueInvalid", field, message)


def prepare(api: Api, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Validate and complete a CRD before it is stored (no-op for other kinds)."""
    if not _is_crd(rt):
        return
    name = obj["metadata"].get("name", "")
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group", ""), names.get("plural", ""), names.get("kind", "")
    causes = []
    if not group:
        causes.append(("FieldValueRequired", "spec.group", "Required value"))
    if not plural:
        causes.append(("FieldValueRequired", "spec.names.plural", "Required value"))
    if not kind:
        causes.append(("FieldValueRequired", "spec.names.kind", "Required value"))
    if group and plural and name != f"{plural}.{group}":
        causes.append(
            _cause("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group')
        )
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            (
                "FieldValueNotSupported",
                "spec.scope",
                f'Unsupported value: "{spec.get("scope", "")}": supported values: "Cluster", "Namespaced"',
            )
        )
    versions = spec.get("versions") or []
    if not versions:
        causes.append(
            (
                "FieldValueRequired",
                "spec.versions",
                "Required value: must have exactly one version marked as storage version",
            )
        )
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(
            _cause("spec.versions", "Invalid value: must have exactly one version marked as storage version")
        )
    if old is not None and (old.get("spec") or {}).get("group") != group:
        causes.append(_cause("spec.group", "Invalid value: field is immutable"))
    if causes:
        raise invalid(rt.kind, name, rt.group, causes)
    names.setdefault("singular", kind.lower())
    names.setdefault("listKind", kind + "List")
    spec.setdefault("conversion", {"strategy": "None"})
    if old is None:
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
    obj["status"] = _status(obj, old)


def _condition(old_conditions: list[Obj], ctype: str, status: str, reason: str, message: str) -> Obj:
    previous = next((c for c in old_conditions if c.get("type") == ctype), None)
    since = previous["lastTransitionTime"] if previous and previous.get("status") == status else meta.now()
    return {
        "type": ctype,
        "status": status,
        "lastTransitionTime": since,
        "reason": reason,
        "message": message,
    }


def _status(obj: Obj, old: Obj | None) -> Obj:
    old_status = (old or {}).get("status") or {}
    old_conditions = old_status.get("conditions") or []
    spec = obj["spec"]
    conditions = [
        _condition(old_conditions, "NamesAccepted", "True", "NoConflicts", "no conflicts found"),
        _condition(
            old_conditions,
            "Established",
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
        ),
    ]
    if obj["metadata"].get("deletionTimestamp"):
        conditions.append(
            _condition(
                old_conditions,
                "Terminating",
                "True",
                "InstanceDeletionInProgress",
                "CustomResource deletion is in progress",
            )
        )
    stored = list(old_status.get("storedVersions") or [])
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    if storage not in stored:
        stored.append(storage)
    return {"conditions": conditions, "acceptedNames": dict(spec["names"]), "storedVersions": stored}


def resource_types(crd: Obj) -> list[ResourceType]:
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served", True)]
    served.sort(key=lambda v: version_priority(v["name"]))
    types = []
    for version in served:
        subs = version.get("subresources") or spec.get("subresources") or {}
        types.append(
            ResourceType(
                group=spec["group"],
                version=version["name"],
                kind=names["kind"],
                plural=names["plural"],
                singular=names.get("singular") or names["kind"].lower(),
                namespaced=spec["scope"] == "Namespaced",
                verbs=ALL_VERBS,
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=frozenset(k for k in ("status", "scale") if k in subs),
                list_kind=names.get("listKind") or names["kind"] + "List",
                custom=True,
                returns_deleted_object=True,
                field_labels=tuple(
                    f.get("jsonPath", "").lstrip(".") for f in version.get("selectableFields") or ()
                ),
            )
        )
    return types


def written(api: Api, rt: ResourceType, event_type: str, obj: Obj) -> None:
    """After a CRD is stored: (re)serve its versions, or stop serving them once it is gone."""
    if not _is_crd(rt):
        if rt.custom and event_type == "DELETED":
            crd_name = f"{rt.plural}.{rt.group}"
            crd = api.store.get(CRDS.storage_key, None, crd_name)
            if crd is not None and crd["metadata"].get("deletionTimestamp"):
                api.soon(lambda: cleanup(api, crd_name))
        return
    spec = obj["spec"]
    group, plural = spec["group"], spec["names"]["plural"]
    if event_type == "DELETED":
        api.registry.remove_resource(group, plural)
        api.store.drop_all((group, plural))
        return
    if obj["metadata"].get("deletionTimestamp"):
        return  # still served while its objects are removed
    api.registry.remove_resource(group, plural)
    types = resource_types(obj)
    for served in types:
        api.registry.add(served)
    api.registry.set_version_order(group, [t.version for t in types])


def cleanup(api: Api, name: str) -> None:
    """The CRD is terminating: delete its objects; once none are left, release the finalizer."""
    from kubesim import deletion

    crd = api.store.get(CRDS.storage_key, None, name)
    if crd is None or not crd["metadata"].get("deletionTimestamp"):
        return
    spec = crd["spec"]
    key = (spec["group"], spec["names"]["plural"])
    rt = api.rt_of_key(key)
    if rt is not None:
        for obj in list(api.store.items(key)):
            if not obj["metadata"].get("deletionTimestamp"):
                deletion._delete_quietly(api, rt, obj, "Background")
    if api.store.count(key):
        return
    new = meta.clone(crd)
    new["metadata"]["finalizers"] = [
        f for f in crd["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER
    ]
    api._finish_update(CRDS, crd, new, False, None)


def printer_columns(api: Api, rt: ResourceType) -> list[Obj] | None:
    """additionalPrinterColumns of a custom resource's version ([] when none); None for built-ins."""
    if not rt.custom:
        return None
    crd = api.store.get(CRDS.storage_key, None, f"{rt.plural}.{rt.group}")
    for version in ((crd or {}).get("spec") or {}).get("versions") or []:
        if version.get("name") == rt.version:
            return list(version.get("additionalPrinterColumns") or [])
    return []
