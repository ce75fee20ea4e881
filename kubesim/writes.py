"""The write verbs of `kubesim.api.Api`: create (POST), update (PUT), patch (all four content types, apply
included) and the status-only `write_status` controllers use. Each checks its request, then hands the
object to the shared steps of `kubesim.pipeline.WritePipeline` (prepare, record managed fields, store).
Deletion lives in `kubesim.deletion`."""

from __future__ import annotations

from typing import Any

from kubesim import crd_schema, crds, meta
from kubesim.errors import ApiError, already_exists, bad_request, invalid
from kubesim.patch_request import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    check_request,
    decode_patch,
    require_object,
)
from kubesim.pipeline import Warnings, WritePipeline
from kubesim.resources import NAMESPACES, ResourceType
from kubesim.subresources import scale_body, scale_of

Obj = dict[str, Any]
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")


def _conditional_only(rt: ResourceType, subresource: str | None) -> bool:
    """Kinds whose strategy refuses unconditional updates (`AllowUnconditionalUpdate` false): custom
    resources and CRDs, on the main resource and on `/status`."""
    return (rt.custom or rt.storage_key == CRDS) and subresource in (None, "status")


class Writes(WritePipeline):
    """POST, PUT and PATCH semantics; mixed into `Api`."""

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
            if not md.get("generateName"):
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
            md["name"] = meta.generated_name(md["generateName"])
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
            crd_schema.validate(rt, crd_schema.schema_for(self._api(), rt), obj)
        crds.prepare(self._api(), rt, obj, None)
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
        if not obj["metadata"].get("resourceVersion") and _conditional_only(rt, subresource):
            # the registry's message names the resource (GroupResource), not the kind
            raise invalid(
                rt.plural,
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
        force: bool | None = None,
        subresource: str | None = None,
        field_validation: str | None = None,
        warnings: Warnings | None = None,
    ) -> Obj:
        check_request(rt, patch_type, force=force, field_manager=field_manager)
        patch = decode_patch(body, patch_type)
        if patch_type == APPLY_PATCH:
            return self._apply(
                rt,
                namespace,
                name,
                patch,
                dry_run=dry_run,
                field_manager=field_manager or "",
                force=bool(force),
                subresource=subresource,
                field_validation=field_validation,
                warnings=warnings,
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
        has_subresource = "status" in rt.subresources
        if not has_subresource and "generation" in new["metadata"]:
            new["metadata"]["generation"] += 1  # status is part of what generation tracks then
        self.ext.record_update(
            old,
            new,
            manager=manager,
            operation="Update",
            rt=rt,
            now=meta.now(),
            subresource="status" if has_subresource else None,
        )
        return self._finish_update(rt, old, new, False, "status")
