"""JSON merge patch (RFC 7386): the RFC's own examples, and the real server's errors."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.errors import ApiError
from kubesim.patching import merge_patch

RFC_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("doc", "patch", "expected"), RFC_EXAMPLES)
def test_rfc7386_examples(doc: dict, patch: dict, expected: dict) -> None:
    assert merge_patch.apply(doc, patch) == expected


def test_lists_replace_and_the_document_is_not_changed() -> None:
    doc: dict[str, Any] = {
        "metadata": {"labels": {"a": "1"}},
        "spec": {"ports": [{"port": 80}, {"port": 81}]},
    }
    result = merge_patch.apply(doc, {"metadata": {"labels": {"b": "2"}}, "spec": {"ports": [{"port": 90}]}})
    assert result == {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"ports": [{"port": 90}]}}
    assert doc["spec"]["ports"] == [{"port": 80}, {"port": 81}]


def test_non_object_patches_are_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        merge_patch.apply({}, [1])
    assert caught.value.code == 400
    with pytest.raises(ApiError) as caught:
        merge_patch.apply({}, None)
    assert caught.value.code == 500 and caught.value.message == "Invalid JSON Patch"
