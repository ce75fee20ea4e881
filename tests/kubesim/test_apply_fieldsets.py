"""Field sets in the real FieldsV1 format: keys of list items, set values, `.`, conflict paths, order."""

from __future__ import annotations

import pytest

from kubesim.apply.fieldsets import (
    FieldSetError,
    compare,
    ensure_named,
    from_fields_v1,
    iteration_key,
    path_string,
    remove_paths,
    to_field_set,
    to_fields_v1,
)
from kubesim.patching.patch_keys import root_schema
from kubesim.resources import BUILTINS

_RT = {(rt.group, rt.kind): rt for rt in BUILTINS}
DEPLOYMENT = root_schema(_RT["apps", "Deployment"])
SERVICE = root_schema(_RT["", "Service"])


def test_applied_set_uses_keys_of_list_items_with_defaults_and_values_of_sets() -> None:
    obj = {
        "metadata": {"finalizers": ["example.com/f"], "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]}},
        },
    }
    fields = to_fields_v1(to_field_set(obj, DEPLOYMENT))
    assert fields == {
        "f:metadata": {"f:finalizers": {'v:"example.com/f"': {}}, "f:labels": {"f:app": {}}},
        "f:spec": {
            "f:selector": {},
            "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {
                ".": {},
                "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
            }}}},
        },
    }  # fmt: skip
    assert list(fields["f:spec"]) == ["f:selector", "f:template"]


def test_fields_v1_round_trip_and_empty_or_null_values_are_leaves() -> None:
    obj = {
        "spec": {"ports": [{"port": 80, "protocol": "UDP", "name": "dns"}], "selector": {"a": "b"}},
        "x": {},
        "y": None,
    }
    paths = to_field_set(obj, SERVICE)
    assert ("f:x",) in paths and ("f:y",) in paths and ("f:spec", "f:selector") in paths
    assert from_fields_v1(to_fields_v1(paths)) == paths
    assert 'k:{"port":80,"protocol":"UDP"}' in to_fields_v1(paths)["f:spec"]["f:ports"]


def test_missing_and_duplicate_keys_are_errors() -> None:
    with pytest.raises(FieldSetError, match='omits key field "name"'):
        to_field_set({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, DEPLOYMENT)
    with pytest.raises(FieldSetError, match=r'duplicate entries for key \[name="a"\]'):
        to_field_set(
            {"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}}, DEPLOYMENT
        )


def test_path_strings_as_in_conflict_messages() -> None:
    path = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"web"}', "f:image")
    assert path_string(path) == '.spec.template.spec.containers[name="web"].image'
    assert (
        path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'))
        == '.spec.ports[port=80,protocol="TCP"]'
    )
    assert path_string(("f:metadata", "f:finalizers", 'v:"a"')) == '.metadata.finalizers[="a"]'


def test_iteration_order_lists_members_of_a_level_before_deeper_paths() -> None:
    paths = [("f:spec", "f:template", "f:x"), ("f:spec", "f:replicas"), ("f:metadata", "f:labels", "f:a")]
    ordered = sorted(paths, key=iteration_key)
    assert ordered == [
        ("f:metadata", "f:labels", "f:a"),
        ("f:spec", "f:replicas"),
        ("f:spec", "f:template", "f:x"),
    ]


def test_compare_reports_added_modified_removed_with_whole_new_nodes_owned() -> None:
    old = {"metadata": {}, "spec": {"replicas": 1, "paused": False}}
    new = {"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 2}}
    changes = compare(old, new, DEPLOYMENT)
    assert changes.added == {("f:metadata", "f:labels"), ("f:metadata", "f:labels", "f:a")}
    assert changes.modified == {("f:spec", "f:replicas")}
    assert changes.removed == {("f:spec", "f:paused")}


def test_ensure_named_adds_field_ancestors_but_not_list_items() -> None:
    item = ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image")
    assert ensure_named([item]) == {item, ("f:spec",), ("f:spec", "f:containers")}


def test_remove_paths_drops_subtrees_and_emptied_containers() -> None:
    obj = {"data": {"a": "1"}, "spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}}
    result = remove_paths(
        obj,
        {("f:data", "f:a"), ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"a"}')},
        DEPLOYMENT,
    )
    assert result == {"spec": {"template": {"spec": {"containers": [{"name": "b"}]}}}}
    assert obj["data"] == {"a": "1"}
