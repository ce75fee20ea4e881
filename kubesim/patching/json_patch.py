"""JSON patch (RFC 6902, application/json-patch+json) with the behaviour and messages of
gopkg.in/evanphx/json-patch.v4, the library kube-apiserver uses.

Quirks kept on purpose: `replace` of a missing object key adds it, negative array indices count from
the end, `test` of a missing key passes only for null. A malformed patch is 400; a patch that does not
apply is 422 "the server rejected our request due to an error in our request" with empty details, as
kube-apiserver sends it (`NewGenericServerResponse` drops the library's message; it stays in the
exception chain, `PatchFailed`, for in-process callers); more than 10,000 operations is 413.
"""

from __future__ import annotations

from typing import Any

from kubesim.apply.merge import copy_value
from kubesim.errors import ApiError, bad_request

MAX_OPERATIONS = 10000
MISSING = "missing value"
INVALID_INDEX = "invalid index referenced"
TEST_FAILED = "test failed"


class PatchFailed(Exception):
    """An operation that does not apply; str() is the library's message."""


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def apply(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    """The document after the operations; `doc` is left unchanged."""
    if ops is None:
        ops = []
    if not isinstance(ops, list):
        raise bad_request(f"json: cannot unmarshal {_go_type(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if op is not None and not isinstance(op, dict):
            raise bad_request(
                f"json: cannot unmarshal {_go_type(op)} into Go value of type jsonpatch.Operation"
            )
    if len(ops) > MAX_OPERATIONS:
        raise ApiError(
            413, f"The allowed number of operations in a JSON patch is {MAX_OPERATIONS}, got {len(ops)}"
        )
    root: list[Any] = [copy_value(doc)]
    try:
        for op in ops:
            _apply_one(root, op or {})
    except PatchFailed as exc:
        raise ApiError(
            422,
            "the server rejected our request due to an error in our request",
            reason="Invalid",
            details={},
        ) from exc
    result = root[0]
    if not isinstance(result, dict):
        raise bad_request(
            f"json: cannot unmarshal {_go_type(result)} into Go value of type map[string]interface {{}}"
        )
    return result


def _kind(op: dict[str, Any]) -> str:
    kind = op.get("op")
    return kind if isinstance(kind, str) else "unknown"


def _field(op: dict[str, Any], name: str) -> str:
    value = op.get(name)
    if value is None:
        raise PatchFailed(f"operation missing {name} field: {MISSING}")
    if not isinstance(value, str):
        raise PatchFailed(f"json: cannot unmarshal {_go_type(value)} into Go value of type string")
    return value


def _path(op: dict[str, Any], verb: str, name: str = "path", wrap_missing: bool = False) -> str:
    try:
        return _field(op, name)
    except PatchFailed as exc:
        what = "decode path" if name == "path" else "decode from"
        cause = MISSING if wrap_missing else str(exc)
        raise PatchFailed(f"{verb} operation failed to {what}: {cause}") from exc


def _decode(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _index(container: list[Any], key: str, size: int) -> int:
    try:
        index = int(key, 10) if key.strip() == key and key.lstrip("+-").isdigit() else int("x")
    except ValueError:
        raise PatchFailed(f'strconv.Atoi: parsing "{key}": invalid syntax') from None
    if index < 0:
        if index < -size:
            raise PatchFailed(f"Unable to access invalid index: {index}: {INVALID_INDEX}")
        index += size
    if index >= size:
        raise PatchFailed(f"Unable to access invalid index: {index}: {INVALID_INDEX}")
    return index


def _find(root: list[Any], path: str) -> tuple[Any, str] | None:
    """The container holding the last token, and that token (the library's findObject)."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    node = root[0]
    for part in parts[1:-1]:
        token = _decode(part)
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list):
            try:
                node = node[_index(node, token, len(node))]
            except PatchFailed:
                return None
        else:
            return None
        if not isinstance(node, dict | list):
            return None
    return node, _decode(parts[-1])


def _get(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    return container[_index(container, key, len(container))]


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        index = _index(container, key, len(container) + 1)
    except PatchFailed as exc:
        if "strconv" in str(exc):
            raise PatchFailed(f"value was not a proper array index: '{key}': {exc}") from None
        raise
    container.insert(index, value)


def _remove(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise PatchFailed(f"Unable to remove nonexistent key: {key}: {MISSING}")
        return container.pop(key)
    return container.pop(_index(container, key, len(container)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _apply_one(root: list[Any], op: dict[str, Any]) -> None:
    kind = _kind(op)
    if kind == "add":
        path = _path(op, "add", wrap_missing=True)
        found = _find(root, path)
        if found is None:
            raise PatchFailed(f'add operation does not apply: doc is missing path: "{path}": {MISSING}')
        try:
            _add(found[0], found[1], copy_value(op.get("value")))
        except PatchFailed as exc:
            raise PatchFailed(f"error in add for path: '{path}': {exc}") from None
    elif kind == "remove":
        path = _path(op, "remove", wrap_missing=True)
        found = _find(root, path)
        if found is None:
            raise PatchFailed(f'remove operation does not apply: doc is missing path: "{path}": {MISSING}')
        try:
            _remove(*found)
        except PatchFailed as exc:
            raise PatchFailed(f"error in remove for path: '{path}': {exc}") from None
    elif kind == "replace":
        _replace(root, op)
    elif kind == "move":
        _move(root, op)
    elif kind == "copy":
        _copy(root, op)
    elif kind == "test":
        _test(root, op)
    else:
        raise PatchFailed(f"Unexpected kind: {kind}")


def _replace(root: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "replace")
    value = copy_value(op.get("value"))
    if path == "":
        if not isinstance(value, dict | list):
            raise PatchFailed("replace operation value must be object or array")
        root[0] = value
        return
    found = _find(root, path)
    if found is None:
        raise PatchFailed(f"replace operation does not apply: doc is missing path: {path}: {MISSING}")
    container, key = found
    if isinstance(container, list):
        try:
            index = _index(container, key, len(container))
        except PatchFailed:
            raise PatchFailed(
                f"replace operation does not apply: doc is missing key: {path}: {MISSING}"
            ) from None
        container[index] = value
    else:
        container[key] = value


def _move(root: list[Any], op: dict[str, Any]) -> None:
    source = _path(op, "move", "from")
    found = _find(root, source)
    if found is None:
        raise PatchFailed(f"move operation does not apply: doc is missing from path: {source}: {MISSING}")
    container, key = found
    try:
        value = _remove(container, key)
    except PatchFailed as exc:
        raise PatchFailed(f"error in move for path: '{key}': {exc}") from None
    path = _path(op, "move")
    target = _find(root, path)
    if target is None:
        raise PatchFailed(
            f"move operation does not apply: doc is missing destination path: {path}: {MISSING}"
        )
    try:
        _add(target[0], target[1], value)
    except PatchFailed as exc:
        raise PatchFailed(f"error in move for path: '{path}': {exc}") from None


def _copy(root: list[Any], op: dict[str, Any]) -> None:
    source = _path(op, "copy", "from")
    found = _find(root, source)
    if found is None:
        raise PatchFailed(f"copy operation does not apply: doc is missing from path: {source}: {MISSING}")
    try:
        value = _get(*found)
    except PatchFailed as exc:
        raise PatchFailed(f"error in copy for from: '{source}': {exc}") from None
    if value is None and isinstance(found[0], dict) and found[1] not in found[0]:
        raise PatchFailed(
            f"error in copy for from: '{source}': unable to get nonexistent key: {found[1]}: {MISSING}"
        )
    path = _path(op, "copy", wrap_missing=True)
    target = _find(root, path)
    if target is None:
        raise PatchFailed(
            f"copy operation does not apply: doc is missing destination path: {path}: {MISSING}"
        )
    try:
        _add(target[0], target[1], copy_value(value))
    except PatchFailed as exc:
        raise PatchFailed(f"error while adding value during copy: {exc}") from None


def _test(root: list[Any], op: dict[str, Any]) -> None:
    path = _path(op, "test")
    expected = op.get("value")
    if path == "":
        if not _same(root[0], expected):
            raise PatchFailed(f"testing value {path} failed: {TEST_FAILED}")
        return
    found = _find(root, path)
    if found is None:
        raise PatchFailed(f"test operation does not apply: is missing path: {path}: {MISSING}")
    try:
        actual = _get(*found)
    except PatchFailed as exc:
        raise PatchFailed(f"error in test for path: '{path}': {exc}") from None
    if actual is None:
        if expected is None:
            return
        raise PatchFailed(f"testing value {path} failed: {TEST_FAILED}")
    if expected is None or not _same(actual, expected):
        raise PatchFailed(f"testing value {path} failed: {TEST_FAILED}")
