"""Field ownership of Create/Update/Patch writes (operation Update), and default manager names."""

from __future__ import annotations

import copy
from typing import Any

from kubesim.apply import default_manager, record_update, server_side_apply
from kubesim.resources import BUILTINS

_RT = {(rt.group, rt.kind): rt for rt in BUILTINS}
DEPLOYMENT, CONFIGMAP = _RT["apps", "Deployment"], _RT["", "ConfigMap"]


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
            }},
        },
    }  # fmt: skip


def test_create_records_an_update_entry_in_the_real_shape() -> None:
    obj = deployment()
    record_update(
        None, obj, manager="kubectl-create", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:00:00Z"
    )
    (entry,) = obj["metadata"]["managedFields"]
    assert {k: v for k, v in entry.items() if k != "fieldsV1"} == {
        "manager": "kubectl-create", "operation": "Update", "apiVersion": "apps/v1",
        "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
    }  # fmt: skip
    fields = entry["fieldsV1"]
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    spec = fields["f:spec"]
    assert "." not in spec and "." not in spec["f:strategy"] and "." in spec["f:strategy"]["f:rollingUpdate"]
    assert spec["f:selector"] == {}
    container = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert container["f:ports"] == {
        ".": {},
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}, "f:protocol": {}},
    }


def test_update_takes_fields_from_other_managers_and_keeps_its_previous_fields() -> None:
    live = deployment()
    record_update(
        None, live, manager="creator", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:00:00Z"
    )
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 4
    del edited["metadata"]["labels"]
    record_update(
        live, edited, manager="editor", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:01:00Z"
    )
    creator, editor = edited["metadata"]["managedFields"]
    assert editor["manager"] == "editor" and editor["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in creator["fieldsV1"]["f:spec"] and "f:metadata" not in creator["fieldsV1"]
    again = copy.deepcopy(edited)
    again["spec"]["paused"] = True
    record_update(
        edited, again, manager="editor", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:02:00Z"
    )
    editor = again["metadata"]["managedFields"][1]
    assert (
        editor["fieldsV1"] == {"f:spec": {"f:paused": {}, "f:replicas": {}}}
        and editor["time"] == "2026-01-01T00:02:00Z"
    )


def test_a_write_that_changes_nothing_keeps_entries_and_times() -> None:
    live = deployment()
    record_update(
        None, live, manager="creator", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:00:00Z"
    )
    same = copy.deepcopy(live)
    record_update(live, same, manager="other", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:09:00Z")
    assert same["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_record_update_then_apply_without_force_conflicts() -> None:
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}
    live = server_side_apply(
        None, applied, manager="bosun", force=False, rt=CONFIGMAP, now="2026-01-01T00:00:00Z"
    )
    edited = copy.deepcopy(live)
    edited["data"]["k"] = "2"
    record_update(
        live, edited, manager="kubectl-edit", operation="Update", rt=CONFIGMAP, now="2026-01-01T00:01:00Z"
    )
    assert [e["manager"] for e in edited["metadata"]["managedFields"]] == ["kubectl-edit"]
    try:
        server_side_apply(
            edited, applied, manager="bosun", force=False, rt=CONFIGMAP, now="2026-01-01T00:02:00Z"
        )
    except Exception as exc:
        assert getattr(exc, "code", None) == 409
        assert 'conflict with "kubectl-edit" using v1: .data.k' in str(exc)
    else:
        raise AssertionError("apply after kubectl edit must conflict")


def test_status_writes_are_recorded_with_their_subresource_and_status_ignored_on_main() -> None:
    live = deployment()
    record_update(
        None, live, manager="creator", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:00:00Z"
    )
    status = copy.deepcopy(live)
    status["status"] = {"replicas": 1}
    record_update(
        live,
        status,
        manager="ctrl",
        operation="Update",
        rt=DEPLOYMENT,
        now="2026-01-01T00:01:00Z",
        subresource="status",
    )
    ctrl = status["metadata"]["managedFields"][1]
    assert ctrl["subresource"] == "status" and ctrl["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    main = copy.deepcopy(status)
    main["status"] = {"replicas": 7}
    record_update(
        status, main, manager="editor", operation="Update", rt=DEPLOYMENT, now="2026-01-01T00:02:00Z"
    )
    assert [e["manager"] for e in main["metadata"]["managedFields"]] == ["creator", "ctrl"]


def test_objects_without_managed_fields_are_not_tracked_on_update_and_can_be_reset() -> None:
    untracked: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"a": "1"},
    }
    new = copy.deepcopy(untracked)
    new["data"]["a"] = "2"
    record_update(untracked, new, manager="m", operation="Update", rt=CONFIGMAP, now="2026-01-01T00:00:00Z")
    assert "managedFields" not in new["metadata"]
    live = copy.deepcopy(untracked)
    record_update(None, live, manager="first", operation="Update", rt=CONFIGMAP, now="2026-01-01T00:00:00Z")
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    reset["data"]["b"] = "2"
    record_update(live, reset, manager="second", operation="Update", rt=CONFIGMAP, now="2026-01-01T00:01:00Z")
    assert [(e["manager"], e["fieldsV1"]) for e in reset["metadata"]["managedFields"]] == [
        ("second", {"f:data": {"f:b": {}}})
    ]


def test_more_than_ten_update_managers_fold_into_ancient_changes() -> None:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    record_update(None, obj, manager="m00", operation="Update", rt=CONFIGMAP, now="2026-01-01T00:00:00Z")
    for i in range(1, 12):
        new = copy.deepcopy(obj)
        new["data"][f"k{i}"] = "v"
        record_update(
            obj, new, manager=f"m{i:02d}", operation="Update", rt=CONFIGMAP, now=f"2026-01-01T00:{i:02d}:00Z"
        )
        obj = new
    managers = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(managers) == 10 and "ancient-changes" in managers
    ancient = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "ancient-changes")
    assert set(ancient["fieldsV1"]["f:data"]) == {".", "f:k1", "f:k2"}  # m00 created data, m01, m02


def test_default_manager_is_the_user_agent_prefix() -> None:
    assert default_manager("kubectl/v1.35.0 (linux/amd64) kubernetes/abc") == "kubectl"
    assert default_manager("OpenAPI-Generator/31.0.0/python") == "OpenAPI-Generator"
    assert default_manager("Python-urllib/3.11") == "Python-urllib"
    assert default_manager("x" * 300) == "x" * 128
    assert default_manager("bad\x00name/1") == "badname"
