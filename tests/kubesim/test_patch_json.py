"""JSON patch (RFC 6902) with the messages and quirks of evanphx/json-patch v4 that kube-apiserver uses."""

from __future__ import annotations

import pytest

from kubesim.errors import ApiError
from kubesim.patching import json_patch

DOC = {"metadata": {"name": "cm", "labels": {"a": "1"}}, "data": {"k": "v"}, "items": [1, 2, 3]}


def _cause(error: ApiError) -> str:
    """The library's message: kept in the exception chain, never sent (the real server drops it)."""
    assert isinstance(error.__cause__, json_patch.PatchFailed)
    return str(error.__cause__)


def test_add_remove_replace_move_copy_and_test_operations() -> None:
    result = json_patch.apply(
        DOC,
        [
            {"op": "test", "path": "/data/k", "value": "v"},
            {"op": "add", "path": "/metadata/labels/b", "value": "2"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "replace", "path": "/data/k", "value": "w"},
            {"op": "move", "from": "/data/k", "path": "/data/moved"},
            {"op": "copy", "from": "/data/moved", "path": "/data/copied"},
            {"op": "add", "path": "/items/-", "value": 4},
            {"op": "add", "path": "/items/0", "value": 0},
            {"op": "remove", "path": "/items/-1"},
        ],
    )
    assert result["metadata"]["labels"] == {"b": "2"}
    assert result["data"] == {"moved": "w", "copied": "w"}
    assert result["items"] == [0, 1, 2, 3]
    assert DOC["data"] == {"k": "v"} and DOC["items"] == [1, 2, 3]


def test_escaped_tokens_address_keys_with_slash_and_tilde() -> None:
    doc = {"metadata": {"annotations": {"a/b": "1", "c~d": "2"}}}
    result = json_patch.apply(
        doc,
        [
            {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "x"},
            {"op": "remove", "path": "/metadata/annotations/c~0d"},
        ],
    )
    assert result["metadata"]["annotations"] == {"a/b": "x"}


def test_failed_test_operation_is_422_with_library_message() -> None:
    with pytest.raises(ApiError) as caught:
        json_patch.apply(DOC, [{"op": "test", "path": "/data/k", "value": "other"}])
    error = caught.value
    assert error.code == 422 and error.reason == "Invalid"
    assert error.message == "the server rejected our request due to an error in our request"
    assert _cause(error) == "testing value /data/k failed: test failed"
    assert error.status()["details"] == {}


def test_test_distinguishes_types_and_null() -> None:
    doc = {"spec": {"replicas": 1, "paused": True}}
    json_patch.apply(doc, [{"op": "test", "path": "/spec/missing", "value": None}])
    for op in (
        {"op": "test", "path": "/spec/paused", "value": 1},
        {"op": "test", "path": "/spec/replicas", "value": "1"},
        {"op": "test", "path": "/spec/missing", "value": 0},
    ):
        with pytest.raises(ApiError) as caught:
            json_patch.apply(doc, [op])
        assert caught.value.code == 422


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            {"op": "remove", "path": "/metadata/labels/nope"},
            "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
        ),
        (
            {"op": "add", "path": "/spec/template/x", "value": 1},
            'add operation does not apply: doc is missing path: "/spec/template/x": missing value',
        ),
        (
            {"op": "replace", "path": "/items/7", "value": 1},
            "replace operation does not apply: doc is missing key: /items/7: missing value",
        ),
        (
            {"op": "add", "path": "/items/9", "value": 1},
            "error in add for path: '/items/9': Unable to access invalid index: 9: invalid index referenced",
        ),
        ({"op": "frobnicate", "path": "/data"}, "Unexpected kind: frobnicate"),
        ({"op": "add", "value": 1}, "add operation failed to decode path: missing value"),
        (
            {"op": "replace", "value": 1},
            "replace operation failed to decode path: operation missing path field: missing value",
        ),
    ],
)
def test_operations_that_do_not_apply_are_422(op: dict, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        json_patch.apply(DOC, [op])
    assert caught.value.code == 422
    assert _cause(caught.value) == message


def test_replace_of_missing_object_key_adds_it_like_the_real_library() -> None:
    assert json_patch.apply(DOC, [{"op": "replace", "path": "/data/new", "value": "x"}])["data"]["new"] == "x"


def test_malformed_patches_are_400_and_too_many_operations_413() -> None:
    with pytest.raises(ApiError) as caught:
        json_patch.apply(DOC, {"op": "add"})
    assert caught.value.code == 400
    assert caught.value.message == "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    with pytest.raises(ApiError) as caught:
        json_patch.apply(DOC, ["add"])
    assert caught.value.message == "json: cannot unmarshal string into Go value of type jsonpatch.Operation"
    with pytest.raises(ApiError) as caught:
        json_patch.apply(DOC, [{"op": "test", "path": "/data/k", "value": "v"}] * 10001)
    assert caught.value.code == 413
    assert caught.value.message == "The allowed number of operations in a JSON patch is 10000, got 10001"


def test_a_failing_operation_changes_nothing() -> None:
    doc = {"data": {"a": "1"}}
    with pytest.raises(ApiError):
        json_patch.apply(
            doc, [{"op": "add", "path": "/data/b", "value": "2"}, {"op": "remove", "path": "/x"}]
        )
    assert doc == {"data": {"a": "1"}}
