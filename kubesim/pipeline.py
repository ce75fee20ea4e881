"""The write pipeline behind `kubesim.api.Api`: namespace placement and checks, identity and optimistic
concurrency, merging an update with the stored object (status, scale and finalize subresources, immutable
metadata, generation), unknown-field decoding, server-side apply, and committing (resourceVersion, watch
events, CRD handling, listeners). No-op writes are skipped like the real server does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kubesim import crd_schema, crds, deletion, meta, pruning
from kubesim.errors import ApiError, bad_request, conflict, invalid, not_found
from kubesim.extensions import Extensions
from kubesim.patch_request import require_object
from kubesim.reads import Reads
from kubesim.resources import NAMESPACES, ResourceType
from kubesim.subresources import scale_body, scale_of

if TYPE_CHECKING:
    from kubesim.api import Api

Obj = dict[str, Any]
Listener = Callable[[str, ResourceType, Obj], None]
Warnings = list[str]  # warnings for the client (sent as `Warning: 299` headers over HTTP)
log = logging.getLogger("kubesim.api")


class WritePipeline(Reads):
    """Internal steps of every write; mixed into `Api`."""

    ext: Extensions
    _listeners: list[Listener]

    def _api(self) -> Api:
        return cast("Api", self)

    def _apply(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        applied: Any,
        *,
        dry_run: bool,
        field_manager: str,
        force: bool,
        subresource: str | None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
    ) -> Obj:
        """Server-side apply; `Api.patch` has checked the PatchOptions (a fieldManager is given)."""
        require_object(applied)
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
            return self._api().create(
                rt, namespace, merged, dry_run=dry_run, field_manager=field_manager, _managed=True
            )
        base = scale_of(rt, live) if subresource == "scale" else meta.clone(self.present(rt, live))
        merged = self.ext.server_side_apply(
            base, applied, manager=field_manager, force=force, rt=rt, now=meta.now(), subresource=subresource
        )
        obj = scale_body(rt, live, merged) if subresource == "scale" else meta.check_body_type(rt, merged)
        self._check_identity(rt, namespace, name, obj, live)
        new = self._prepare_update(rt, live, obj, subresource)
        if subresource in ("scale", "status"):  # the subresource copies the stored object: keep the apply's
            new["metadata"]["managedFields"] = merged.get("metadata", {}).get("managedFields", [])
        return self._finish_update(rt, live, new, dry_run, subresource)

    def _decode_fields(
        self, rt: ResourceType, obj: Obj, field_validation: str | None, warnings: Warnings | None
    ) -> None:
        """Drop unknown fields like the real decoder; fieldValidation decides what the client hears."""
        pruning.check_mode(field_validation)
        if rt.custom:
            unknown = pruning.prune_custom(crd_schema.schema_for(self._api(), rt), obj)
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
            crd_schema.validate(rt, crd_schema.schema_for(self._api(), rt), new)
        crds.prepare(self._api(), rt, new, old)
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
                return deletion.remove(self._api(), rt, new)
        md["resourceVersion"] = str(self.store.next_rv())
        self._commit(rt, "MODIFIED", new, old)
        return meta.clone(new)

    def _commit(self, rt: ResourceType, event_type: str, obj: Obj, old: Obj | None) -> None:
        """Store an object whose resourceVersion is set, notify watches, CRD handling, listeners."""
        self.store.write(rt.storage_key, event_type, obj, old)
        crds.written(self._api(), rt, event_type, obj)
        if event_type == "DELETED":
            self.ext.release(rt, obj)
            deletion.after_removal(self._api(), rt, obj)
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
