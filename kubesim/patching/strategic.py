"""Strategic merge patch (application/strategic-merge-patch+json), a port of apimachinery's strategicpatch.

Maps merge key by key (null deletes); lists with patchStrategy merge merge their items by the
patchMergeKey (lists of scalars as sets), other lists are replaced. Directives: `$patch: replace` /
`delete` on maps and list items, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
`$setElementOrder/<field>`. Errors carry the codes and messages the real server answers with.
"""

from __future__ import annotations

from typing import Any

from kubesim.errors import ApiError, bad_request
from kubesim.patching.patch_keys import DEFAULT, FieldSchema, ResourceLike, root_schema, supports_strategic
from kubesim.patching.strategic_order import go_repr, merge_ordered, strip_directives

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList/"
SET_ELEMENT_ORDER = "$setElementOrder/"
ACCEPTED = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"


def unsupported_media_type() -> ApiError:
    """415 the real server answers a strategic merge patch of a custom resource with."""
    return ApiError(
        415, f"the body of the request was in an unknown format - accepted media types include: {ACCEPTED}"
    )


def _unknown(message: str) -> ApiError:
    error = ApiError(500, message)
    error.reason = ""
    return error


def _invalid(message: str) -> ApiError:
    """422 as the real server words it (`NewGenericServerResponse`: the library's message is not sent);
    the message stays in the exception chain for in-process callers."""
    error = ApiError(
        422, "the server rejected our request due to an error in our request", reason="Invalid", details={}
    )
    error.__cause__ = ValueError(message)
    return error


def apply(doc: dict[str, Any], patch: Any, rt: ResourceLike) -> dict[str, Any]:
    """The object after the patch; `doc` and `patch` are left unchanged."""
    if not supports_strategic(rt):
        raise unsupported_media_type()
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {_json_type(patch)} into Go value of type map[string]interface {{}}"
        )
    return _merge_map(dict(doc), patch, root_schema(rt))


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def _merge_map(original: dict[str, Any], patch: dict[str, Any], schema: FieldSchema) -> dict[str, Any]:
    """Merge patch into original (a fresh dict owned by the caller; its values are not mutated)."""
    if DIRECTIVE in patch:
        kind = patch[DIRECTIVE]
        if kind == "replace":
            return strip_directives({k: v for k, v in patch.items() if k != DIRECTIVE})
        if kind == "delete":
            return {}
        raise _unknown(f"unknown patch type: {kind} in map: {go_repr(patch)}")
    patch = dict(patch)
    if RETAIN_KEYS in patch:
        _retain_keys(original, patch)
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        _set_element_order(original, patch, key, schema)
    node = schema.node
    for key, value in patch.items():
        delete_list = key.startswith(DELETE_FROM_PRIMITIVE)
        if delete_list:
            key = key[len(DELETE_FROM_PRIMITIVE) :]
        if value is None:
            original.pop(key, None)
            continue
        if key not in original:
            if not delete_list:
                original[key] = strip_directives(value)
            continue
        current = original[key]
        if not _same_kind(current, value):
            if not delete_list:
                original[key] = strip_directives(value)
            continue
        field = node.get(key, DEFAULT)
        if isinstance(current, dict):
            original[key] = _merge_map(dict(current), value, field)
        elif isinstance(current, list):
            if field.strategy == "merge" or delete_list:
                original[key] = _merge_list(current, value, field, delete_list)
            else:
                original[key] = strip_directives(value)
        else:
            original[key] = value
    return original


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str)
    # Go decodes every JSON number as float64
    return True


def _retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    keep = patch.pop(RETAIN_KEYS)
    if not isinstance(keep, list):
        raise _unknown(f"expected []interface{{}}, but got {_json_type(keep)}")
    allowed = set(k for k in keep if isinstance(k, str))
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE, SET_ELEMENT_ORDER)):
            continue
        if key not in allowed:
            raise bad_request("invalid patch format of retainKeys")
    for key in [k for k in original if k not in allowed]:
        del original[key]


def _element_kind(items: list[Any]) -> str:
    kinds = set()
    for item in items:
        if isinstance(item, list):
            raise _invalid("lists of lists are not supported")
        kinds.add("map" if isinstance(item, dict) else "scalar")
    if len(kinds) > 1:
        raise _unknown("mismatched types in list: maps and scalars cannot be mixed")
    return kinds.pop() if kinds else ""


def _merge_list(original: list[Any], patch: list[Any], field: FieldSchema, delete_list: bool) -> list[Any]:
    if not original and not patch:
        return original
    kind = _element_kind(original + patch)
    if kind != "map":
        if delete_list:
            drop = patch
            return [item for item in original if item not in drop]
        merged: list[Any] = []
        for item in original + patch:
            if item not in merged:
                merged.append(item)
        return merge_ordered(merged, patch, original, "")
    key = field.merge_key
    if not key:
        raise _unknown("cannot merge lists without merge key for this field")
    original, patch = _special_elements(list(original), patch, key)
    merged = list(original)
    for item in patch:
        if key not in item:
            raise _unknown(f"map: {go_repr(item)} does not contain declared merge key: {key}")
        index = _find(merged, key, item[key])
        if index is None:
            merged.append(strip_directives(item))
        else:
            merged[index] = _merge_map(dict(merged[index]), item, FieldSchema(node=field.node))
    return merge_ordered(merged, patch, original, key)


def _find(items: list[Any], key: str, value: Any) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get(key) == value:
            return index
    return None


def _special_elements(original: list[Any], patch: list[Any], key: str) -> tuple[list[Any], list[Any]]:
    """Apply `$patch: delete` items; `$patch: replace` makes the remaining patch items the list."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        kind = item[DIRECTIVE]
        if kind == "delete":
            if key not in item:
                raise _unknown(f"map: {go_repr(item)} does not contain declared merge key: {key}")
            original = [o for o in original if not (isinstance(o, dict) and o.get(key) == item[key])]
        elif kind == "replace":
            replace = True
        elif kind == "merge":
            raise _unknown("merging lists cannot yet be specified in the patch")
        else:
            raise _unknown(f"unknown patch type: {kind} in map: {go_repr(item)}")
    if replace:
        return [strip_directives(i) for i in plain], []
    return original, plain


def _set_element_order(
    original: dict[str, Any], patch: dict[str, Any], directive: str, schema: FieldSchema
) -> None:
    """`$setElementOrder/<field>`: merge the field's patch list, then order it as the directive lists."""
    order = patch.pop(directive)
    name = directive[len(SET_ELEMENT_ORDER) :]
    field = schema.node.get(name, DEFAULT)
    if not isinstance(order, list):
        raise bad_request("invalid patch format of setElementOrder list")
    current = original.get(name, [])
    patch_list = patch.get(name, [])
    if not isinstance(current, list) or not isinstance(patch_list, list):
        raise bad_request("invalid patch format of setElementOrder list")
    key = field.merge_key
    _validate_order(patch_list, order, key)
    if not current and not patch_list:
        patch.pop(name, None)
        return
    if not current:
        merged = _merge_list([], patch_list, field, False) if key else list(patch_list)
    elif not patch_list:
        merged = list(current)
    elif field.strategy == "merge":
        merged = _merge_list(current, patch_list, field, False)
    else:
        merged = strip_directives(patch_list)
    original[name] = merge_ordered(merged, order, current, key)
    patch.pop(name, None)


def _validate_order(patch_list: list[Any], order: list[Any], key: str) -> None:
    items = [i for i in patch_list if not (isinstance(i, dict) and DIRECTIVE in i)]
    if not items or not order:
        return
    pi = oi = 0
    while pi < len(items) and oi < len(order):
        a, b = items[pi], order[oi]
        equal = (a.get(key) == b.get(key)) if key and isinstance(a, dict) and isinstance(b, dict) else a == b
        if equal:
            pi += 1
        oi += 1
    if pi < len(items):
        raise _unknown(
            f"The order in patch list:\n{go_repr(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} list:\n{go_repr(order)}\n"
        )
