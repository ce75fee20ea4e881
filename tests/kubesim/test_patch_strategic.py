"""Strategic merge patch: the real patch-merge keys of built-in lists, each directive, and the errors."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from kubesim.errors import ApiError
from kubesim.patching.strategic import apply, supports_strategic
from kubesim.resources import BUILTINS

_RT = {(rt.group, rt.kind): rt for rt in BUILTINS}
DEPLOYMENT, CONFIGMAP, SERVICE = _RT["apps", "Deployment"], _RT["", "ConfigMap"], _RT["", "Service"]
POD, JOB = _RT["", "Pod"], _RT["batch", "Job"]
WIDGET = replace(CONFIGMAP, group="example.com", kind="Widget", plural="widgets", custom=True)


def _pod(**spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": dict(spec)}


def _containers(**fields: object) -> dict:
    return {"spec": {"template": {"spec": {"containers": [dict(fields)]}}}}


LIVE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a/x", "b/y"]},
    "spec": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "app:1",
                        "args": ["--a", "--b"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    },
                    {"name": "sidecar", "image": "side:1"},
                ],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "tolerations": [{"key": "a", "operator": "Exists"}],
            }
        },
    },
}


def _spec(result: dict) -> dict:
    return result["spec"]["template"]["spec"]


def test_containers_merge_by_name_and_env_by_name() -> None:
    before = copy.deepcopy(LIVE)
    result = apply(
        LIVE, _containers(name="app", image="app:2", env=[{"name": "B", "value": "3"}]), DEPLOYMENT
    )
    app, sidecar = _spec(result)["containers"]
    assert app["image"] == "app:2" and sidecar == {"name": "sidecar", "image": "side:1"}
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert app["args"] == ["--a", "--b"]
    assert before == LIVE


def test_new_list_items_follow_patch_order_among_server_items() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "n"}, {"name": "app"}]}}}}
    names = [c["name"] for c in _spec(apply(LIVE, patch, DEPLOYMENT))["containers"]]
    assert names == ["new", "app", "sidecar"]


def test_lists_without_merge_key_are_replaced() -> None:
    result = apply(LIVE, _containers(name="app", args=["--c"]), DEPLOYMENT)
    assert _spec(result)["containers"][0]["args"] == ["--c"]
    tolerations = {"spec": {"template": {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}}}
    assert _spec(apply(LIVE, tolerations, DEPLOYMENT))["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_container_ports_merge_by_container_port_and_mounts_by_mount_path() -> None:
    patch = _containers(
        name="app",
        ports=[{"containerPort": 80, "name": "web"}, {"containerPort": 9090}],
        volumeMounts=[{"mountPath": "/data", "readOnly": True}, {"name": "cache", "mountPath": "/cache"}],
    )
    app = _spec(apply(LIVE, patch, DEPLOYMENT))["containers"][0]
    assert app["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "web"}, {"containerPort": 9090}]
    assert app["volumeMounts"] == [
        {"name": "data", "mountPath": "/data", "readOnly": True},
        {"name": "cache", "mountPath": "/cache"},
    ]


def test_pod_lists_keyed_by_name_ip_device_path() -> None:
    live = _pod(
        containers=[{"name": "c", "image": "i", "volumeDevices": [{"name": "d", "devicePath": "/dev/a"}]}],
        initContainers=[{"name": "init", "image": "i"}],
        ephemeralContainers=[{"name": "debug", "image": "busybox"}],
        volumes=[{"name": "v", "emptyDir": {}}],
        imagePullSecrets=[{"name": "s1"}],
        hostAliases=[{"ip": "10.0.0.1", "hostnames": ["a"]}],
    )
    patch = _pod(
        containers=[{"name": "c", "volumeDevices": [{"name": "e", "devicePath": "/dev/b"}]}],
        initContainers=[{"name": "init2", "image": "j"}],
        ephemeralContainers=[{"name": "debug", "image": "busybox:2"}],
        volumes=[{"name": "w", "configMap": {"name": "cm"}}],
        imagePullSecrets=[{"name": "s2"}],
        hostAliases=[{"ip": "10.0.0.1", "hostnames": ["b"]}, {"ip": "10.0.0.2", "hostnames": ["c"]}],
    )
    spec = apply(live, patch, POD)["spec"]
    # items new to the server come before the server-only ones (the real mergeSortedSlice)
    assert [d["devicePath"] for d in spec["containers"][0]["volumeDevices"]] == ["/dev/b", "/dev/a"]
    assert [c["name"] for c in spec["initContainers"]] == ["init2", "init"]
    assert spec["ephemeralContainers"] == [{"name": "debug", "image": "busybox:2"}]
    assert [v["name"] for v in spec["volumes"]] == ["w", "v"]
    assert spec["imagePullSecrets"] == [{"name": "s2"}, {"name": "s1"}]
    assert spec["hostAliases"] == [
        {"ip": "10.0.0.1", "hostnames": ["b"]},
        {"ip": "10.0.0.2", "hostnames": ["c"]},
    ]


def test_service_ports_merge_by_port() -> None:
    live = {"spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "selector": {"a": "1"}}}
    result = apply(live, {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}}, SERVICE)
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090, "protocol": "TCP"}, {"port": 443}]


def test_conditions_by_type_owner_references_by_uid_and_finalizers_as_set() -> None:
    live = {
        "metadata": {"ownerReferences": [{"uid": "1", "name": "a"}], "finalizers": ["x"]},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]
        },
    }
    patch = {
        "metadata": {
            "ownerReferences": [{"uid": "1", "name": "b"}, {"uid": "2", "name": "c"}],
            "finalizers": ["y", "x"],
        },
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    result = apply(live, patch, POD)
    assert result["metadata"]["ownerReferences"] == [{"uid": "1", "name": "b"}, {"uid": "2", "name": "c"}]
    assert result["metadata"]["finalizers"] == ["y", "x"]
    assert result["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "Initialized", "status": "True"},
    ]
    job = apply({"status": {"conditions": [{"type": "Complete", "status": "False"}]}},
                {"status": {"conditions": [{"type": "Failed", "status": "True"}]}}, JOB)  # fmt: skip
    assert [c["type"] for c in job["status"]["conditions"]] == ["Failed", "Complete"]


def test_null_deletes_a_key() -> None:
    result = apply(LIVE, {"metadata": {"labels": {"app": None}}, "spec": {"replicas": None}}, DEPLOYMENT)
    assert result["metadata"]["labels"] == {} and "replicas" not in result["spec"]


def test_patch_delete_directive_on_list_items_and_maps() -> None:
    patch = _containers(name="sidecar", **{"$patch": "delete"})
    assert [c["name"] for c in _spec(apply(LIVE, patch, DEPLOYMENT))["containers"]] == ["app"]
    env_delete = _containers(name="app", env=[{"name": "A", "$patch": "delete"}])
    assert _spec(apply(LIVE, env_delete, DEPLOYMENT))["containers"][0]["env"] == [{"name": "B", "value": "2"}]
    map_delete = {"metadata": {"labels": {"$patch": "delete"}}}
    assert apply(LIVE, map_delete, DEPLOYMENT)["metadata"]["labels"] == {}


def test_patch_replace_directive_on_lists_and_maps() -> None:
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "only", "image": "o"}, {"$patch": "replace"}]}}
        }
    }
    assert _spec(apply(LIVE, patch, DEPLOYMENT))["containers"] == [{"name": "only", "image": "o"}]
    labels = {"metadata": {"labels": {"$patch": "replace", "fresh": "yes"}}}
    assert apply(LIVE, labels, DEPLOYMENT)["metadata"]["labels"] == {"fresh": "yes"}


def test_retain_keys_clears_other_fields_and_checks_the_patch() -> None:
    live = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert apply(live, patch, DEPLOYMENT)["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(ApiError) as caught:
        apply(live, {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}, DEPLOYMENT)
    assert caught.value.code == 400 and caught.value.message == "invalid patch format of retainKeys"


def test_delete_from_primitive_list() -> None:
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a/x"]}}
    assert apply(LIVE, patch, DEPLOYMENT)["metadata"]["finalizers"] == ["b/y"]


def test_set_element_order_reorders_merged_items() -> None:
    patch = {
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
            "containers": [{"name": "sidecar", "image": "side:2"}],
        }}},
        "metadata": {"$setElementOrder/finalizers": ["b/y", "a/x"]},
    }  # fmt: skip
    result = apply(LIVE, patch, DEPLOYMENT)
    assert [(c["name"], c["image"]) for c in _spec(result)["containers"]] == [
        ("sidecar", "side:2"),
        ("app", "app:1"),
    ]
    assert result["metadata"]["finalizers"] == ["b/y", "a/x"]


def test_directive_errors_are_the_real_server_errors() -> None:
    with pytest.raises(ApiError) as caught:
        apply(LIVE, {"metadata": {"labels": {"$patch": "explode"}}}, DEPLOYMENT)
    assert caught.value.code == 500 and caught.value.message.startswith("unknown patch type: explode in map:")
    with pytest.raises(ApiError) as caught:
        apply(LIVE, _containers(image="no-name"), DEPLOYMENT)
    assert caught.value.code == 500
    assert caught.value.message == "map: map[image:no-name] does not contain declared merge key: name"
    with pytest.raises(ApiError) as caught:
        apply(LIVE, [1], DEPLOYMENT)
    assert caught.value.code == 400


def test_new_values_lose_directives_and_nulls() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "n", "image": "i", "args": None}]}}}}
    assert _spec(apply(LIVE, patch, DEPLOYMENT))["containers"][0] == {"name": "n", "image": "i"}


def test_custom_resources_answer_415() -> None:
    assert supports_strategic(DEPLOYMENT) and supports_strategic(CONFIGMAP)
    assert not supports_strategic(WIDGET)
    with pytest.raises(ApiError) as caught:
        apply({}, {"spec": {}}, WIDGET)
    assert caught.value.code == 415 and caught.value.reason == "UnsupportedMediaType"
    assert caught.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
