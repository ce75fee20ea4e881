"""The in-process Kubernetes API: the semantics behind kubesim's HTTP routes, usable directly by simulated
controllers. One asyncio loop, no threads; every method is synchronous.

Signatures (objects are plain JSON dicts; every error is `kubesim.errors.ApiError`):

    api = Api(registry=None, watch_window=10_000)
    api.resolve(group, version, plural) -> ResourceType                      # 404 when not served
    api.rt_for(api_version, kind) -> ResourceType | None
    api.get(rt, namespace, name, *, subresource=None) -> dict               # a copy
    api.list(rt, namespace=None, *, label_selector=None, field_selector=None,
             limit=None, continue_token=None) -> dict                       # a `<Kind>List`
    api.create(rt, namespace, body, *, dry_run=False, field_manager=None, subresource=None) -> dict
    api.update(rt, namespace, name, body, *, dry_run=False, field_manager=None, subresource=None) -> dict
    api.patch(rt, namespace, name, body, *, patch_type, dry_run=False, field_manager=None,
              force=False, subresource=None) -> dict
        # patch_type: "application/json-patch+json" | "application/merge-patch+json" |
        #   "application/strategic-merge-patch+json" | "application/apply-patch+yaml" (server-side apply,
        #   creates when missing; body: dict, or YAML/JSON bytes/str)
    api.delete(rt, namespace, name, *, dry_run=False, propagation_policy=None,
               preconditions=None, grace_period_seconds=None) -> dict        # the object, or a Status
    api.delete_collection(rt, namespace, *, label_selector=None, field_selector=None,
                          dry_run=False, propagation_policy=None) -> dict    # a `<Kind>List` of deleted items
    api.add_listener(cb)          # cb(event_type: "ADDED"|"MODIFIED"|"DELETED", rt, obj) after every stored change
    api.remove_listener(cb)
    api.write_status(rt, namespace, name, status, *, manager="kube-controller-manager") -> dict | None
        # status-only write for controllers: new resourceVersion, MODIFIED event, managedFields entry for
        # `manager` (subresource "status"); returns None when the object is gone, the unchanged object when
        # `status` equals the stored one.
    api.registry: Registry         # resource types, CRD-defined ones included
    api.store: Store               # raw storage (resourceVersion counter `api.store.rv`)

Listeners must not raise; they may call back into the Api (prefer loop.call_soon / call_later for work).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from typing import Any

import orjson
import yaml

from kubesim import crd_schema, crds, deletion, meta, pruning
from kubesim.errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from kubesim.extensions import Extensions, load
from kubesim.resources import NAMESPACES, Registry, ResourceType
from kubesim.selectors import combine, name_of_field_selector, parse_field_selector, parse_label_selector
from kubesim.store import Store, object_key

Obj = dict[str, Any]
Listener = Callable[[str, ResourceType, Obj], None]
Warnings = list[str]  # warnings for the client (sent as `Warning: 299` headers over HTTP)
log = logging.getLogger("kubesim.api")

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Api:
    """kube-apiserver semantics over an in-memory store."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        watch_window: int = 10_000,
        extensions: Extensions | None = None,
    ) -> None:
        self.registry = registry or Registry()
        self.store = Store(watch_window)
        self.ext = extensions or load()
        self._listeners: list[Listener] = []
        for ns in DEFAULT_NAMESPACES:
            self.create(NAMESPACES, None, {"metadata": {"name": ns}}, field_manager="kube-apiserver")

    # ---- lookup -------------------------------------------------------------------------------------------
    def resolve(self, group: str, version: str, plural: str) -> ResourceType:
        return self.registry.lookup(group, version, plural)

    def rt_for(self, api_version: str, kind: str) -> ResourceType | None:
        return self.registry.by_kind(api_version, kind)

    def rt_of_key(self, key: tuple[str, str]) -> ResourceType | None:
        types = self.registry.types_of(*key)
        return types[0] if types else None

    # ---- listeners ----------------------------------------------------------------------------------------
    def add_listener(self, cb: Listener) -> None:
        self._listeners.append(cb)

    def remove_listener(self, cb: Listener) -> None:
        if cb in self._listeners:
            self._listeners.remove(cb)

    def soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` after the current request (like an asynchronous controller), or now without a loop."""
        try:
            asyncio.get_running_loop().call_soon(fn)
        except RuntimeError:
            fn()

    # ---- reads --------------------------------------------------------------------------------------------
    def read(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        """The stored object itself (do not mutate); 404 when absent."""
        obj = self.store.get(rt.storage_key, namespace if rt.namespaced else None, name)
        if obj is None:
            raise not_found(rt.group, rt.plural, name)
        return obj

    def present(self, rt: ResourceType, obj: Obj) -> Obj:
        """The object as served at rt's version (shared, not copied, when nothing changes)."""
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def get(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        subresource: str | None = None,
        copy: bool = True,
    ) -> Obj:
        obj = self.read(rt, namespace, name)
        if subresource == "scale":
            return scale_of(rt, obj)
        obj = self.present(rt, obj)
        return meta.clone(obj) if copy else obj

    def list(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        copy: bool = True,
    ) -> Obj:
        predicate = combine(
            parse_label_selector(label_selector), parse_field_selector(field_selector, rt.field_labels)
        )
        start_after = _decode_continue(continue_token) if continue_token else ""
        ns = namespace if rt.namespaced else None
        items: list[Obj] = []
        more: str | None = None
        remaining = 0
        only = name_of_field_selector(field_selector)
        if only is not None and ns is not None:
            found = self.store.get(rt.storage_key, ns, only)
            source: Any = [found] if found is not None and object_key(ns, only) > start_after else []
        else:
            source = self.store.items(rt.storage_key, ns, start_after)
        for obj in source:
            if predicate is not None and not predicate(obj):
                continue
            if limit and len(items) >= limit:
                more = _continue_key(items[-1])
                if predicate is None:
                    remaining = 1 + sum(1 for _ in source)
                break
            items.append(self.present(rt, obj))
        list_meta: Obj = {"resourceVersion": str(self.store.rv)}
        if more:
            list_meta["continue"] = _encode_continue(more, self.store.rv)
            if remaining:
                list_meta["remainingItemCount"] = remaining
        result = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": list_meta, "items": items}
        return meta.clone(result) if copy else result

    # ---- writes -------------------------------------------------------------------------------------------
    def create(
        self,
        rt: ResourceType,
        namespace: str | None,
        body: Obj,
        *,
        dry_run: bool = False,
        field_manager: str | None = None,
        subresource: str | None = None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
        _managed: bool = False,
    ) -> Obj:
        if subresource:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        obj = meta.check_body_type(rt, meta.clone(body))
        self._decode_fields(rt, obj, field_validation, warnings)
        md = obj["metadata"]
        self._place_namespace(rt, namespace, md)
        if md.get("resourceVersion"):
            raise ApiError(500, "resourceVersion should not be set on objects to be created")
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = meta.generated_name(md["generateName"])
            else:
                raise invalid(
                    rt.kind,
                    "",
                    rt.group,
                    [
                        (
                            "FieldValueRequired",
                            "metadata.name",
                            "Required value: name or generateName is required",
                        )
                    ],
                )
        meta.validate_name(rt, md["name"])
        if rt.namespaced:
            self._namespace_accepts(rt, md["namespace"], md["name"])
        if self.store.get(rt.storage_key, md.get("namespace"), md["name"]) is not None:
            raise already_exists(rt.group, rt.plural, md["name"])
        stamp = meta.now()
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(field, None)
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = stamp
        if meta.has_generation(rt):
            md["generation"] = 1
        else:
            md.pop("generation", None)
        meta.initial_status(rt, obj)
        if rt.storage_key == NAMESPACES.storage_key:
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
            obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
        self.ext.default(rt, obj, None)
        self.ext.validate(rt, obj, None)
        if rt.custom:
            crd_schema.validate(rt, crd_schema.schema_for(self, rt), obj)
        crds.prepare(self, rt, obj, None)
        if not _managed:
            md.pop("managedFields", None)
            self.ext.record_update(
                None,
                obj,
                manager=field_manager or "unknown",
                operation="Update",
                rt=rt,
                now=stamp,
                subresource=None,
            )
        if dry_run:
            return obj
        md["resourceVersion"] = str(self.store.next_rv())
        self._commit(rt, "ADDED", obj, None)
        return meta.clone(obj)

    def update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        dry_run: bool = False,
        field_manager: str | None = None,
        subresource: str | None = None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
    ) -> Obj:
        old = self.read(rt, namespace, name)
        if subresource == "scale":
            obj = _scale_body(rt, old, body)
        else:
            obj = meta.check_body_type(rt, meta.clone(body))
            self._decode_fields(rt, obj, field_validation, warnings)
        self._check_identity(rt, namespace, name, obj, old)
        md = obj["metadata"]
        if not md.get("resourceVersion") and rt.custom and subresource is None:
            raise invalid(
                rt.kind,
                name,
                rt.group,
                [
                    (
                        "FieldValueInvalid",
                        "metadata.resourceVersion",
                        "Invalid value: 0x0: must be specified for an update",
                    )
                ],
            )
        new = self._prepare_update(rt, old, obj, subresource)
        self.ext.record_update(
            old,
            new,
            manager=field_manager or "unknown",
            operation="Update",
            rt=rt,
            now=meta.now(),
            subresource=subresource,
        )
        return self._finish_update(rt, old, new, dry_run, subresource)

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        patch_type: str,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool = False,
        subresource: str | None = None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
    ) -> Obj:
        patch = _decode_patch(body, patch_type)
        if patch_type == APPLY_PATCH:
            return self._apply(
                rt,
                namespace,
                name,
                patch,
                dry_run=dry_run,
                field_manager=field_manager,
                force=force,
                subresource=subresource,
                field_validation=field_validation,
                warnings=warnings,
            )
        if patch_type == STRATEGIC_PATCH and rt.custom:
            raise ApiError(
                415,
                "the body of the request was in an unknown format - accepted media types include: "
                f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}",
            )
        old = self.read(rt, namespace, name)
        doc = scale_of(rt, old) if subresource == "scale" else meta.clone(self.present(rt, old))
        if patch_type == JSON_PATCH:
            if not isinstance(patch, list):
                raise bad_request(
                    "json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
                )
            patched = self.ext.json_patch(doc, patch)
        elif patch_type == MERGE_PATCH:
            _require_object(patch)
            patched = self.ext.merge_patch(doc, patch)
        else:
            _require_object(patch)
            patched = self.ext.strategic(doc, patch, rt)
        if subresource == "scale":
            obj = _scale_body(rt, old, patched)
        else:
            obj = meta.check_body_type(rt, patched)
            self._decode_fields(rt, obj, field_validation, warnings)
        self._check_identity(rt, namespace, name, obj, old)
        new = self._prepare_update(rt, old, obj, subresource)
        self.ext.record_update(
            old,
            new,
            manager=field_manager or "unknown",
            operation="Update",
            rt=rt,
            now=meta.now(),
            subresource=subresource,
        )
        return self._finish_update(rt, old, new, dry_run, subresource)

    def _apply(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        applied: Any,
        *,
        dry_run: bool,
        field_manager: str | None,
        force: bool,
        subresource: str | None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
    ) -> Obj:
        if not field_manager:
            raise invalid(
                "PatchOptions",
                "",
                "meta.k8s.io",
                [("FieldValueRequired", "fieldManager", "Required value: is required for apply patch")],
            )
        _require_object(applied)
        if subresource != "scale" and (applied.get("kind") != rt.kind or not applied.get("apiVersion")):
            raise bad_request(
                f"invalid object type: {applied.get('apiVersion', '')}, Kind={applied.get('kind', '')}"
            )
        if subresource != "scale":
            meta.drop_nulls(applied)
            self._decode_fields(rt, applied, field_validation, warnings)
        md = applied.setdefault("metadata", {})
        if md.get("name") and md["name"] != name:
            raise bad_request(
                f"the name of the object ({md['name']}) does not match the name on the URL ({name})"
            )
        md["name"] = name
        live = self.store.get(rt.storage_key, namespace if rt.namespaced else None, name)
        if live is None:
            if subresource:
                raise not_found(rt.group, rt.plural, name)
            self._place_namespace(rt, namespace, md)
            merged = self.ext.server_side_apply(
                None, applied, manager=field_manager, force=force, rt=rt, now=meta.now(), subresource=None
            )
            return self.create(
                rt, namespace, merged, dry_run=dry_run, field_manager=field_manager, _managed=True
            )
        base = scale_of(rt, live) if subresource == "scale" else meta.clone(self.present(rt, live))
        merged = self.ext.server_side_apply(
            base, applied, manager=field_manager, force=force, rt=rt, now=meta.now(), subresource=subresource
        )
        obj = _scale_body(rt, live, merged) if subresource == "scale" else meta.check_body_type(rt, merged)
        self._check_identity(rt, namespace, name, obj, live)
        new = self._prepare_update(rt, live, obj, subresource)
        if subresource == "scale":
            new["metadata"]["managedFields"] = merged.get("metadata", {}).get("managedFields", [])
        return self._finish_update(rt, live, new, dry_run, subresource)

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        dry_run: bool = False,
        propagation_policy: str | None = None,
        preconditions: Obj | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        return deletion.delete(
            self,
            rt,
            namespace,
            name,
            dry_run=dry_run,
            propagation_policy=propagation_policy,
            preconditions=preconditions,
        )

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        dry_run: bool = False,
        propagation_policy: str | None = None,
    ) -> Obj:
        listed = self.list(
            rt, namespace, label_selector=label_selector, field_selector=field_selector, copy=False
        )
        deleted = [
            deletion.delete(
                self,
                rt,
                item["metadata"].get("namespace"),
                item["metadata"]["name"],
                dry_run=dry_run,
                propagation_policy=propagation_policy,
                preconditions=None,
                as_object=True,
            )
            for item in listed["items"]
        ]
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": deleted,
        }

    def write_status(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        status: Obj,
        *,
        manager: str = "kube-controller-manager",
    ) -> Obj | None:
        old = self.store.get(rt.storage_key, namespace if rt.namespaced else None, name)
        if old is None:
            return None
        if old.get("status") == status:
            return meta.clone(old)
        new = meta.clone(old)
        new["status"] = meta.clone(status)
        self.ext.record_update(
            old,
            new,
            manager=manager,
            operation="Update",
            rt=rt,
            now=meta.now(),
            subresource="status" if "status" in rt.subresources else None,
        )
        return self._finish_update(rt, old, new, False, "status")

    # ---- internals ----------------------------------------------------------------------------------------
    def _decode_fields(
        self, rt: ResourceType, obj: Obj, field_validation: str | None, warnings: Warnings | None
    ) -> None:
        """Drop unknown fields like the real decoder; fieldValidation decides what the client hears."""
        pruning.check_mode(field_validation)
        if rt.custom:
            unknown = pruning.prune_custom(crd_schema.schema_for(self, rt), obj)
        else:
            unknown = pruning.prune_builtin(rt, obj)
        pruning.report(rt, unknown, field_validation, warnings)

    def _place_namespace(self, rt: ResourceType, namespace: str | None, md: Obj) -> None:
        if not rt.namespaced:
            md.pop("namespace", None)
            return
        body_ns = md.get("namespace")
        if body_ns and namespace and body_ns != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        md["namespace"] = body_ns or namespace or "default"

    def _namespace_accepts(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get(NAMESPACES.storage_key, None, namespace)
        if ns is None:
            raise not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                f'{rt.resource} "{name}" is forbidden: unable to create new content in namespace {namespace} '
                "because it is being terminated",
                reason="Forbidden",
                details={
                    "name": name,
                    "group": rt.group,
                    "kind": rt.plural,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _check_identity(self, rt: ResourceType, namespace: str | None, name: str, obj: Obj, old: Obj) -> None:
        md = obj["metadata"]
        if md.get("name") and md["name"] != name:
            raise bad_request(
                f"the name of the object ({md['name']}) does not match the name on the URL ({name})"
            )
        md["name"] = name
        self._place_namespace(rt, namespace, md)
        rv = md.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise conflict(
                rt.group,
                rt.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        uid = md.get("uid")
        if uid and uid != old["metadata"]["uid"]:
            raise conflict(
                rt.group,
                rt.plural,
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: {old['metadata']['uid']}",
            )

    def _prepare_update(self, rt: ResourceType, old: Obj, obj: Obj, subresource: str | None) -> Obj:
        if subresource in ("status", "scale", "finalize"):
            new = meta.clone(old)
            new["apiVersion"] = rt.api_version
            if subresource == "status":
                if "status" in obj:
                    new["status"] = obj["status"]
                else:
                    new.pop("status", None)
            elif subresource == "finalize":  # namespaces: only spec.finalizers changes
                new.setdefault("spec", {})["finalizers"] = list(
                    (obj.get("spec") or {}).get("finalizers") or []
                )
            else:
                new.setdefault("spec", {})["replicas"] = obj["spec"]["replicas"]
        else:
            new = obj
            md, old_md = new["metadata"], old["metadata"]
            for field in (
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "namespace",
            ):
                if field in old_md:
                    md[field] = old_md[field]
                else:
                    md.pop(field, None)
            md.pop("selfLink", None)
            if "managedFields" not in md and "managedFields" in old_md:
                md["managedFields"] = old_md["managedFields"]
            if "status" in rt.subresources:
                if "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
            if rt.storage_key == NAMESPACES.storage_key:
                new["spec"] = old.get("spec", {})
                md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
            if old_md.get("deletionTimestamp"):
                added = set(md.get("finalizers") or []) - set(old_md.get("finalizers") or [])
                if added:
                    raise invalid(
                        rt.kind,
                        md["name"],
                        rt.group,
                        [
                            (
                                "FieldValueForbidden",
                                "metadata.finalizers",
                                "Forbidden: no new finalizers can be added if the object is being deleted",
                            )
                        ],
                    )
        self.ext.default(rt, new, old)
        self.ext.validate(rt, new, old)
        if rt.custom:
            crd_schema.validate(rt, crd_schema.schema_for(self, rt), new)
        crds.prepare(self, rt, new, old)
        if "generation" in old["metadata"] and meta.spec_changed(rt, old, new):
            new["metadata"]["generation"] = old["metadata"]["generation"] + 1
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        return new

    def _finish_update(
        self, rt: ResourceType, old: Obj, new: Obj, dry_run: bool, subresource: str | None
    ) -> Obj:
        result = self._store_update(rt, old, new, dry_run)
        return scale_of(rt, result) if subresource == "scale" else result

    def _store_update(self, rt: ResourceType, old: Obj, new: Obj, dry_run: bool) -> Obj:
        if _same(old, new):
            return meta.clone(self.present(rt, old))
        if dry_run:
            return new
        md = new["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            waiting = rt.storage_key == NAMESPACES.storage_key and (new.get("spec") or {}).get("finalizers")
            if not waiting:
                return deletion.remove(self, rt, new)
        md["resourceVersion"] = str(self.store.next_rv())
        self._commit(rt, "MODIFIED", new, old)
        return meta.clone(new)

    def _commit(self, rt: ResourceType, event_type: str, obj: Obj, old: Obj | None) -> None:
        """Store an object whose resourceVersion is set, notify watches, CRD handling, listeners."""
        self.store.write(rt.storage_key, event_type, obj, old)
        crds.written(self, rt, event_type, obj)
        if event_type == "DELETED":
            self.ext.release(rt, obj)
            deletion.after_removal(self, rt, obj)
        for cb in list(self._listeners):
            try:
                cb(event_type, rt, obj)
            except Exception:  # a listener's bug must not fail the request
                log.exception("kubesim listener failed on %s %s", event_type, rt.resource)


def _same(old: Obj, new: Obj) -> bool:
    """Unchanged apart from managedFields timestamps: the real server then skips the write."""
    if old == new:
        return True
    if {k: v for k, v in old.items() if k != "metadata"} != {k: v for k, v in new.items() if k != "metadata"}:
        return False
    om, nm = dict(old["metadata"]), dict(new["metadata"])
    of, nf = om.pop("managedFields", None) or [], nm.pop("managedFields", None) or []
    if om != nm or len(of) != len(nf):
        return False
    return all({**a, "time": None} == {**b, "time": None} for a, b in zip(of, nf, strict=True))


def _require_object(patch: Any) -> None:
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")


def _decode_patch(body: Any, patch_type: str) -> Any:
    if patch_type not in PATCH_TYPES:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}",
        )
    if not isinstance(body, bytes | str):
        return meta.clone(body)
    try:
        if patch_type == APPLY_PATCH:
            return yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return orjson.loads(body)
    except (yaml.YAMLError, orjson.JSONDecodeError) as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc


def scale_of(rt: ResourceType, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a workload."""
    if "scale" not in rt.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    md = obj["metadata"]
    status = obj.get("status") or {}
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": status.get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in labels.items() if isinstance(v, str)),
        },
    }


def _scale_body(rt: ResourceType, old: Obj, body: Any) -> Obj:
    if "scale" not in rt.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    if not isinstance(body, dict) or body.get("kind", "Scale") != "Scale":
        raise bad_request("the object provided is unrecognized (must be of type Scale)")
    replicas = (body.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise invalid(
            "Scale",
            old["metadata"]["name"],
            "autoscaling",
            [
                (
                    "FieldValueInvalid",
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    md = dict(body.get("metadata") or {})
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": md, "spec": {"replicas": replicas}}


def _continue_key(obj: Obj) -> str:
    md = obj["metadata"]
    return object_key(md.get("namespace"), md["name"])


def _encode_continue(key: str, rv: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": key})).decode()


def _decode_continue(token: str) -> str:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        return str(data["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from exc
