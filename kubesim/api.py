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
from collections.abc import Callable
from typing import Any

from kubesim import crd_schema, crds, deletion, meta, paging
from kubesim.errors import ApiError, already_exists, bad_request, invalid, not_found
from kubesim.extensions import Extensions, load
from kubesim.pipeline import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_PATCH,
    Listener,
    Warnings,
    WritePipeline,
    decode_patch,
    require_object,
)
from kubesim.resources import NAMESPACES, Registry, ResourceType
from kubesim.selectors import combine, name_of_field_selector, parse_field_selector, parse_label_selector
from kubesim.store import Store, object_key
from kubesim.subresources import scale_body, scale_of

Obj = dict[str, Any]
Items = list[Obj]
__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_PATCH",
    "Api",
    "Listener",
    "Warnings",
    "scale_of",
]

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Api(WritePipeline):
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
        self._snapshots = paging.Snapshots()
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
        token = paging.decode(continue_token) if continue_token else None
        snapshot = self._snapshots.take(token.snapshot) if token else None
        if snapshot is not None:
            list_rv, matching = snapshot
        else:
            if token is not None and token.rv < self.store.oldest_rv():
                raise paging.expired()
            list_rv = self.store.rv
            matching = self._matching(rt, namespace, predicate, field_selector, token.start if token else "")
        page = matching[:limit] if limit else matching
        items = [self.present(rt, obj) for obj in page]
        list_meta: Obj = {"resourceVersion": str(list_rv)}
        rest = matching[len(page) :]
        if rest:
            snap = self._snapshots.put(list_rv, rest)
            list_meta["continue"] = paging.encode(paging.Token(list_rv, paging.continue_key(page[-1]), snap))
            if predicate is None:
                list_meta["remainingItemCount"] = len(rest)
        result = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": list_meta, "items": items}
        return meta.clone(result) if copy else result

    def _matching(
        self,
        rt: ResourceType,
        namespace: str | None,
        predicate: Callable[[Obj], bool] | None,
        field_selector: str | None,
        start_after: str,
    ) -> Items:
        ns = namespace if rt.namespaced else None
        only = name_of_field_selector(field_selector)
        if only is not None and ns is not None:
            found = self.store.get(rt.storage_key, ns, only)
            source: Any = [found] if found is not None and object_key(ns, only) > start_after else []
        else:
            source = self.store.items(rt.storage_key, ns, start_after)
        if predicate is None:
            return list(source)
        return [obj for obj in source if predicate(obj)]

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
            obj = scale_body(rt, old, body)
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
        return self._write_update(rt, old, obj, dry_run, field_manager, subresource)

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
        patch = decode_patch(body, patch_type)
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
            require_object(patch)
            patched = self.ext.merge_patch(doc, patch)
        else:
            require_object(patch)
            patched = self.ext.strategic(doc, patch, rt)
        if subresource == "scale":
            obj = scale_body(rt, old, patched)
        else:
            obj = meta.check_body_type(rt, patched)
            self._decode_fields(rt, obj, field_validation, warnings)
        self._check_identity(rt, namespace, name, obj, old)
        return self._write_update(rt, old, obj, dry_run, field_manager, subresource)

    def _write_update(
        self,
        rt: ResourceType,
        old: Obj,
        obj: Obj,
        dry_run: bool,
        field_manager: str | None,
        subresource: str | None,
    ) -> Obj:
        """The common end of PUT and non-apply PATCH: prepare, record the manager's fields, store."""
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
