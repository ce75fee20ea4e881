"""Server-side apply as kube-apiserver does it: ownership, conflicts, force, removal of dropped fields."""

from __future__ import annotations

import copy

import pytest
from ssa_support import CONFIGMAP, DEPLOYMENT, T0, T1, T2, T3, WIDGET, apply, cm, deployment, entries, entry

from kubesim.apply import record_update
from kubesim.errors import ApiError


def test_apply_creates_and_records_an_apply_entry() -> None:
    obj = apply(None, cm(a="1"))
    assert obj["data"] == {"a": "1"} and obj["metadata"]["name"] == "cm"
    assert entries(obj) == [{
        "manager": "a", "operation": "Apply", "apiVersion": "v1", "time": T0,
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}},
    }]  # fmt: skip


def test_inputs_are_not_changed() -> None:
    live = apply(None, cm(a="1"))
    snapshot, applied = copy.deepcopy(live), cm(b="2")
    applied_copy = copy.deepcopy(applied)
    result = apply(live, applied, manager="b")
    result["data"]["c"] = "3"
    assert live == snapshot and applied == applied_copy


def test_same_value_by_two_managers_is_shared_without_conflict() -> None:
    live = apply(None, cm(a="1"), manager="a")
    both = apply(live, cm(a="1"), manager="b", now=T1)
    # an entry without a time sorts first, like the real server's zero time
    assert [e["manager"] for e in entries(both)] == ["b", "a"]
    assert all(e["fieldsV1"] == {"f:data": {"f:a": {}}} for e in entries(both))
    assert "time" not in entry(both, "b")  # a no-op apply does not stamp a time


def test_changing_another_appliers_field_conflicts_without_force() -> None:
    live = apply(None, cm(a="1"), manager="a")
    with pytest.raises(ApiError) as caught:
        apply(live, cm(a="2"), manager="b")
    error = caught.value
    assert error.code == 409 and error.reason == "Conflict"
    assert error.message == 'Apply failed with 1 conflict: conflict with "a": .data.a'
    assert error.details == {
        "causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".data.a"}]
    }


def test_force_moves_the_field_to_the_new_manager() -> None:
    live = apply(None, cm(a="1", b="1"), manager="a")
    forced = apply(live, cm(a="2"), manager="b", force=True, now=T1)
    assert forced["data"] == {"a": "2", "b": "1"}
    assert entry(forced, "a")["fieldsV1"] == {"f:data": {"f:b": {}}}
    assert entry(forced, "b")["fieldsV1"] == {"f:data": {"f:a": {}}}
    with pytest.raises(ApiError):
        apply(forced, cm(a="1", b="1"), manager="a")


def test_several_conflicts_are_grouped_by_manager() -> None:
    live = apply(None, deployment(), manager="a", rt=DEPLOYMENT)
    with pytest.raises(ApiError) as caught:
        apply(live, deployment(replicas=5, image="nginx:2"), manager="b", rt=DEPLOYMENT)
    assert caught.value.message == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="web"].image'
    )
    assert [c["field"] for c in caught.value.details["causes"]] == [  # type: ignore[index]
        ".spec.replicas",
        '.spec.template.spec.containers[name="web"].image',
    ]


def test_fields_dropped_from_the_configuration_are_removed() -> None:
    live = apply(None, cm(a="1", b="2"), manager="a")
    result = apply(live, cm(a="1"), manager="a", now=T1)
    assert result["data"] == {"a": "1"}
    assert entry(result, "a")["fieldsV1"] == {"f:data": {"f:a": {}}} and entry(result, "a")["time"] == T1


def test_dropped_field_owned_by_another_manager_stays_and_only_ownership_goes() -> None:
    live = apply(None, cm(a="1", b="2"), manager="a")
    live = apply(live, cm(b="2"), manager="b", now=T1)
    result = apply(live, cm(a="1"), manager="a", now=T2)
    assert result["data"] == {"a": "1", "b": "2"}
    assert entry(result, "a")["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert entry(result, "b")["fieldsV1"] == {"f:data": {"f:b": {}}}


def test_unowned_fields_survive_and_dropping_a_whole_struct_removes_it() -> None:
    live = apply(None, deployment(), manager="a", rt=DEPLOYMENT)
    live["spec"]["revisionHistoryLimit"] = 10  # a default nobody owns
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    result = apply(live, deployment(replicas=None), manager="a", rt=DEPLOYMENT, now=T1)
    assert "replicas" not in result["spec"] and result["spec"]["revisionHistoryLimit"] == 10
    assert result["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    bare = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    emptied = apply(result, bare, manager="a", rt=DEPLOYMENT, now=T2)
    assert "spec" not in emptied and "managedFields" not in emptied["metadata"]
    assert emptied["metadata"]["name"] == "web" and emptied["metadata"]["namespace"] == "default"


def test_update_manager_owning_a_field_conflicts_with_using_version() -> None:
    live = apply(None, deployment(), manager="kubectl", rt=DEPLOYMENT)
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 5
    record_update(live, edited, manager="kubectl-edit", operation="Update", rt=DEPLOYMENT, now=T1)
    with pytest.raises(ApiError) as caught:
        apply(edited, deployment(), manager="kubectl", rt=DEPLOYMENT, now=T2)
    assert (
        caught.value.message
        == 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas'
    )
    assert caught.value.details == {"causes": [{"reason": "FieldManagerConflict",
                                                "message": 'conflict with "kubectl-edit" using apps/v1',
                                                "field": ".spec.replicas"}]}  # fmt: skip
    forced = apply(edited, deployment(), manager="kubectl", rt=DEPLOYMENT, now=T2, force=True)
    assert forced["spec"]["replicas"] == 3
    assert [e["manager"] for e in entries(forced)] == ["kubectl"]


def test_applied_managed_fields_and_wrong_version_are_400() -> None:
    bad = cm(a="1")
    bad["metadata"]["managedFields"] = []
    with pytest.raises(ApiError) as caught:
        apply(None, bad)
    assert caught.value.code == 400 and caught.value.message == "metadata.managedFields must be nil"
    wrong = deployment()
    wrong["apiVersion"] = "apps/v1beta1"
    with pytest.raises(ApiError) as caught:
        apply(None, wrong, rt=DEPLOYMENT)
    assert caught.value.code == 400
    assert caught.value.message == (
        "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1"
    )


def test_status_is_ignored_on_the_main_resource_and_owned_on_the_status_subresource() -> None:
    applied = deployment() | {"status": {"replicas": 9}}
    live = apply(None, applied, rt=DEPLOYMENT)
    assert "status" not in live and "f:status" not in entry(live, "a")["fieldsV1"]
    status = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"replicas": 1}, "status": {"replicas": 2}}  # fmt: skip
    result = apply(live, status, manager="ctrl", rt=DEPLOYMENT, subresource="status", now=T1)
    assert result["status"] == {"replicas": 2} and result["spec"]["replicas"] == 3
    ctrl = entry(result, "ctrl")
    assert ctrl["subresource"] == "status" and ctrl["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    assert [e["manager"] for e in entries(result)] == ["a", "ctrl"]


def test_custom_resources_apply_with_generic_rules() -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, "tags": ["a"]},
    }
    live = apply(None, widget, rt=WIDGET)
    assert entry(live, "a")["fieldsV1"] == {"f:spec": {"f:size": {}, "f:tags": {}}}


def test_entries_sorted_apply_first_then_by_time() -> None:
    live = apply(None, cm(a="1"), manager="z", now=T2)
    updated = copy.deepcopy(live)
    updated["data"]["b"] = "2"
    record_update(live, updated, manager="early", operation="Update", rt=CONFIGMAP, now=T1)
    result = apply(updated, cm(c="3"), manager="b", now=T3)
    assert [(e["manager"], e["operation"]) for e in entries(result)] == [
        ("z", "Apply"),
        ("b", "Apply"),
        ("early", "Update"),
    ]
