"""Deletion as kube-apiserver and its garbage collector do it: preconditions, finalizers and deletionTimestamp,
propagationPolicy Foreground/Background/Orphan through ownerReferences, and namespace termination."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubesim import meta
from kubesim.errors import ApiError, conflict
from kubesim.resources import NAMESPACES, ResourceType

if TYPE_CHECKING:
    from kubesim.api import Api

Obj = dict[str, Any]
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
POLICIES = ("Foreground", "Background", "Orphan")
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")


def delete(
    api: Api,
    rt: ResourceType,
    namespace: str | None,
    name: str,
    *,
    dry_run: bool,
    propagation_policy: str | None,
    preconditions: Obj | None,
    as_object: bool = False,
) -> Obj:
    """DELETE one object: the response body kube-apiserver sends (the object, or a Status Success)."""
    obj = api.read(rt, namespace, name)
    if rt.storage_key == NAMESPACES.storage_key and name in IMMORTAL_NAMESPACES:
        raise ApiError(
            403,
            f'namespaces "{name}" is forbidden: this namespace may not be deleted',
            reason="Forbidden",
            details={"name": name, "kind": "namespaces"},
        )
    _check_preconditions(rt, obj, preconditions or {})
    policy = propagation_policy or "Background"
    if policy not in POLICIES:
        raise ApiError(
            422,
            f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
            f'"{policy}": supported values: "Foreground", "Background", "Orphan"',
            reason="Invalid",
        )
    md = obj["metadata"]
    finalizers = list(md.get("finalizers") or [])
    if policy == "Foreground" and FOREGROUND not in finalizers:
        finalizers.append(FOREGROUND)
    is_namespace = rt.storage_key == NAMESPACES.storage_key
    is_crd = rt.storage_key == ("apiextensions.k8s.io", "customresourcedefinitions")
    if dry_run:
        out = meta.clone(api.present(rt, obj))
        if finalizers or is_namespace:
            out["metadata"].setdefault("deletionTimestamp", meta.now())
        return out
    if policy == "Orphan":
        _orphan_dependents(api, obj)
    if not finalizers and not is_namespace and not is_crd:
        removed = remove(api, rt, obj)
        if as_object or rt.returns_deleted_object or rt.custom:
            return removed
        return _success(rt, removed)
    new = meta.clone(obj)
    nmd = new["metadata"]
    if not nmd.get("deletionTimestamp"):
        nmd["deletionTimestamp"] = meta.now()
        nmd["deletionGracePeriodSeconds"] = 0
        if "generation" in nmd:
            nmd["generation"] += 1
    if finalizers:
        nmd["finalizers"] = finalizers
    if is_namespace:
        new.setdefault("status", {})["phase"] = "Terminating"
    if new != obj:
        nmd["resourceVersion"] = str(api.store.next_rv())
        api._commit(rt, "MODIFIED", new, obj)
    if policy == "Foreground":
        api.soon(lambda: _foreground(api, rt, new))
    if is_namespace:
        api.soon(lambda: _terminate_namespace(api, name))
    if is_crd:
        from kubesim import crds

        api.soon(lambda: crds.cleanup(api, name))
    return meta.clone(api.present(rt, new))


def _success(rt: ResourceType, obj: Obj) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": obj["metadata"]["name"],
            "group": rt.group,
            "kind": rt.plural,
            "uid": obj["metadata"]["uid"],
        },
    }


def _check_preconditions(rt: ResourceType, obj: Obj, pre: Obj) -> None:
    md = obj["metadata"]
    uid, rv = pre.get("uid"), pre.get("resourceVersion")
    if uid and uid != md["uid"]:
        raise conflict(
            rt.group,
            rt.plural,
            md["name"],
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: {md['uid']}",
        )
    if rv and rv != md["resourceVersion"]:
        raise conflict(
            rt.group,
            rt.plural,
            md["name"],
            f"Precondition failed: ResourceVersion in precondition: {rv}, "
            f"ResourceVersion in object meta: {md['resourceVersion']}",
        )


def remove(api: Api, rt: ResourceType, obj: Obj) -> Obj:
    """Remove from storage now (a DELETED event at a new resourceVersion); returns the final object."""
    final = meta.clone(obj)
    final["metadata"]["resourceVersion"] = str(api.store.next_rv())
    api._commit(rt, "DELETED", final, obj)
    return meta.clone(final)


def after_removal(api: Api, rt: ResourceType, obj: Obj) -> None:
    """Garbage collection after an object is gone: dependents, owners waiting in foreground, namespaces."""
    uid = obj["metadata"]["uid"]
    api.soon(lambda: _collect_dependents(api, obj))
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("uid") and ref.get("uid") != uid:
            api.soon(_recheck_later(api, obj, ref))
    ns = obj["metadata"].get("namespace")
    if ns:
        api.soon(lambda: _maybe_finish_namespace(api, ns))


def _recheck_later(api: Api, dependent: Obj, ref: Obj) -> Callable[[], None]:
    return lambda: _recheck_owner(api, dependent, ref)


def _dependents(api: Api, owner: Obj) -> list[tuple[ResourceType, Obj]]:
    found: list[tuple[ResourceType, Obj]] = []
    for key, obj in api.store.dependents(owner["metadata"]["uid"]):
        rt = api.rt_of_key(key)
        if rt is not None:
            found.append((rt, obj))
    return found


def _storage_types(api: Api) -> list[ResourceType]:
    seen: dict[tuple[str, str], ResourceType] = {}
    for rt in api.registry:
        seen.setdefault(rt.storage_key, rt)
    return list(seen.values())


def _owner_exists(api: Api, ref: Obj, namespace: str | None) -> bool:
    rt = api.rt_for(ref.get("apiVersion", ""), ref.get("kind", ""))
    if rt is None:
        return False
    owner = api.store.get(rt.storage_key, namespace if rt.namespaced else None, ref.get("name", ""))
    return owner is not None and owner["metadata"]["uid"] == ref.get("uid")


def _collect_dependents(api: Api, owner: Obj) -> None:
    uid = owner["metadata"]["uid"]
    for rt, dep in _dependents(api, owner):
        current = api.store.get(rt.storage_key, dep["metadata"].get("namespace"), dep["metadata"]["name"])
        if current is None or current["metadata"].get("deletionTimestamp"):
            continue
        refs = current["metadata"].get("ownerReferences") or []
        others = [r for r in refs if r.get("uid") != uid]
        if any(_owner_exists(api, r, current["metadata"].get("namespace")) for r in others):
            _set_owner_refs(api, rt, current, others)
        else:
            _delete_quietly(api, rt, current, "Background")


def _orphan_dependents(api: Api, owner: Obj) -> None:
    uid = owner["metadata"]["uid"]
    for rt, dep in _dependents(api, owner):
        refs = [r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        _set_owner_refs(api, rt, dep, refs)


def _set_owner_refs(api: Api, rt: ResourceType, obj: Obj, refs: list[Obj]) -> None:
    new = meta.clone(obj)
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    api.ext.record_update(
        obj,
        new,
        manager="kube-controller-manager",
        operation="Update",
        rt=rt,
        now=meta.now(),
        subresource=None,
    )
    api._finish_update(rt, obj, new, False, None)


def _delete_quietly(api: Api, rt: ResourceType, obj: Obj, policy: str) -> None:
    md = obj["metadata"]
    try:
        delete(
            api,
            rt,
            md.get("namespace"),
            md["name"],
            dry_run=False,
            propagation_policy=policy,
            preconditions={"uid": md["uid"]},
            as_object=True,
        )
    except ApiError:
        pass  # already gone or replaced


def _foreground(api: Api, rt: ResourceType, owner: Obj) -> None:
    deps = _dependents(api, owner)
    for drt, dep in deps:
        if not dep["metadata"].get("deletionTimestamp"):
            _delete_quietly(api, drt, dep, "Foreground")
    _release_foreground(api, rt, owner)


def _release_foreground(api: Api, rt: ResourceType, owner: Obj) -> None:
    md = owner["metadata"]
    current = api.store.get(rt.storage_key, md.get("namespace"), md["name"])
    if current is None or current["metadata"]["uid"] != md["uid"]:
        return
    if FOREGROUND not in (current["metadata"].get("finalizers") or []) or _dependents(api, current):
        return
    new = meta.clone(current)
    new["metadata"]["finalizers"] = [f for f in current["metadata"]["finalizers"] if f != FOREGROUND]
    api._finish_update(rt, current, new, False, None)


def _recheck_owner(api: Api, dependent: Obj, ref: Obj) -> None:
    rt = api.rt_for(ref.get("apiVersion", ""), ref.get("kind", ""))
    if rt is None:
        return
    owner = api.store.get(
        rt.storage_key, dependent["metadata"].get("namespace") if rt.namespaced else None, ref.get("name", "")
    )
    if owner is not None and owner["metadata"].get("deletionTimestamp"):
        _release_foreground(api, rt, owner)


def _terminate_namespace(api: Api, namespace: str) -> None:
    for rt in _storage_types(api):
        if not rt.namespaced:
            continue
        for obj in list(api.store.items(rt.storage_key, namespace)):
            if not obj["metadata"].get("deletionTimestamp"):
                _delete_quietly(api, rt, obj, "Background")
    _maybe_finish_namespace(api, namespace)


def _maybe_finish_namespace(api: Api, namespace: str) -> None:
    ns = api.store.get(NAMESPACES.storage_key, None, namespace)
    if ns is None or not ns["metadata"].get("deletionTimestamp"):
        return
    if api.store.namespace_count(namespace):
        return
    new = meta.clone(ns)
    new.setdefault("spec", {})["finalizers"] = []
    if not new["metadata"].get("finalizers"):
        remove(api, NAMESPACES, new)
    elif new != ns:
        new["metadata"]["resourceVersion"] = str(api.store.next_rv())
        api._commit(NAMESPACES, "MODIFIED", new, ns)
