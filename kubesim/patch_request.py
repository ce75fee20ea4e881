"""What kube-apiserver checks of a PATCH request before it reads the object: the content type (415),
the PatchOptions (422 `PatchOptions.meta.k8s.io "" is invalid: ...`) and the body's encoding (400).
Used by `kubesim.api.Api.patch`; the patch engines themselves live in `kubesim/patching/`."""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from kubesim import meta
from kubesim.errors import ApiError, bad_request, invalid
from kubesim.resources import ResourceType

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


def check_request(
    rt: ResourceType, patch_type: str, *, force: bool | None, field_manager: str | None
) -> None:
    """415 for a content type the resource does not take (strategic merge patch of a custom resource
    included), then the PatchOptions rules of apimachinery's `ValidatePatchOptions`: `force` (given at
    all, even false) only with apply, `fieldManager` required with apply."""
    if patch_type not in PATCH_TYPES:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}",
        )
    if patch_type == STRATEGIC_PATCH and rt.custom:
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}",
        )
    if patch_type != APPLY_PATCH and force is not None:
        raise invalid(
            "PatchOptions",
            "",
            "meta.k8s.io",
            [("FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch")],
        )
    if patch_type == APPLY_PATCH and not field_manager:
        raise invalid(
            "PatchOptions",
            "",
            "meta.k8s.io",
            [("FieldValueRequired", "fieldManager", "Required value: is required for apply patch")],
        )


def require_object(patch: Any) -> None:
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")


def decode_patch(body: Any, patch_type: str) -> Any:
    """The patch document: a copy of a decoded body, or JSON (YAML for apply) bytes/str decoded."""
    if not isinstance(body, bytes | str):
        return meta.clone(body)
    try:
        if patch_type == APPLY_PATCH:
            return yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return orjson.loads(body)
    except (yaml.YAMLError, orjson.JSONDecodeError) as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc
