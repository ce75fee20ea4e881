"""DELETE: finalizers, propagationPolicy Foreground/Background/Orphan through ownerReferences, namespace
termination, preconditions, DELETE collection with selectors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    assert check()


def _exists(read: Callable[[], object]) -> bool:
    try:
        read()
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _owned(v1: client.CoreV1Api, name: str, owner: client.V1ConfigMap, block: bool = False) -> None:
    ref = client.V1OwnerReference(api_version="v1", kind="ConfigMap", name=owner.metadata.name,
                                  uid=owner.metadata.uid, block_owner_deletion=block or None)  # fmt: skip
    v1.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, owner_references=[ref])))  # fmt: skip


def _cm(name: str, finalizers: list[str] | None = None, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, finalizers=finalizers, labels=labels or None)
    )


def test_finalizers_hold_the_object_until_removed(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("held", ["example.com/hold"]))
    v1.delete_namespaced_config_map("held", "default")
    held = v1.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.deletion_grace_period_seconds == 0
    with pytest.raises(ApiException) as err:
        v1.patch_namespaced_config_map(
            "held", "default", {"metadata": {"finalizers": ["example.com/hold", "x/y"]}}
        )
    assert err.value.status == 422
    v1.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    assert not _exists(lambda: v1.read_namespaced_config_map("held", "default"))


def test_background_deletion_collects_dependents(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    owner = v1.create_namespaced_config_map("default", _cm("owner"))
    _owned(v1, "child", owner)
    v1.delete_namespaced_config_map("owner", "default", propagation_policy="Background")
    assert not _exists(lambda: v1.read_namespaced_config_map("owner", "default"))
    eventually(lambda: not _exists(lambda: v1.read_namespaced_config_map("child", "default")))


def test_orphan_deletion_keeps_dependents_without_owner_reference(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    owner = v1.create_namespaced_config_map("default", _cm("owner"))
    _owned(v1, "child", owner)
    v1.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")
    assert not _exists(lambda: v1.read_namespaced_config_map("owner", "default"))
    time.sleep(0.2)
    child = v1.read_namespaced_config_map("child", "default")
    assert not child.metadata.owner_references


def test_foreground_deletion_waits_for_dependents(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    owner = v1.create_namespaced_config_map("default", _cm("owner"))
    _owned(v1, "child", owner, block=True)
    v1.patch_namespaced_config_map("child", "default", {"metadata": {"finalizers": ["example.com/hold"]}})
    body = client.V1DeleteOptions(propagation_policy="Foreground")
    answer = v1.delete_namespaced_config_map("owner", "default", body=body)
    answer = answer if isinstance(answer, dict) else client.ApiClient().sanitize_for_serialization(answer)
    assert "foregroundDeletion" in answer["metadata"]["finalizers"]
    time.sleep(0.2)
    waiting = v1.read_namespaced_config_map("owner", "default")
    assert waiting.metadata.deletion_timestamp and "foregroundDeletion" in waiting.metadata.finalizers
    assert v1.read_namespaced_config_map("child", "default").metadata.deletion_timestamp
    v1.patch_namespaced_config_map("child", "default", {"metadata": {"finalizers": None}})
    eventually(lambda: not _exists(lambda: v1.read_namespaced_config_map("owner", "default")))


def test_dependent_with_another_live_owner_survives(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    one = v1.create_namespaced_config_map("default", _cm("one"))
    two = v1.create_namespaced_config_map("default", _cm("two"))
    refs = [client.V1OwnerReference(api_version="v1", kind="ConfigMap", name=o.metadata.name, uid=o.metadata.uid)
            for o in (one, two)]  # fmt: skip
    v1.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="shared", owner_references=refs)))  # fmt: skip
    v1.delete_namespaced_config_map("one", "default")
    eventually(lambda: len(v1.read_namespaced_config_map("shared", "default").metadata.owner_references) == 1)
    assert v1.read_namespaced_config_map("shared", "default").metadata.owner_references[0].name == "two"


def test_deployment_garbage_collects_owned_objects(kubesim_server: KubesimServer) -> None:
    api = kubesim_server.api_client()
    apps = client.AppsV1Api(api)
    labels = {"app": "gc"}
    dep = apps.create_namespaced_deployment("default", client.V1Deployment(
        metadata=client.V1ObjectMeta(name="gc"),
        spec=client.V1DeploymentSpec(selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1")])))))  # fmt: skip
    ref = client.V1OwnerReference(api_version="apps/v1", kind="Deployment", name="gc", uid=dep.metadata.uid,
                                  controller=True)  # fmt: skip
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="gc-owned", owner_references=[ref])))  # fmt: skip
    apps.delete_namespaced_deployment("gc", "default")
    eventually(lambda: not _exists(lambda: v1.read_namespaced_config_map("gc-owned", "default")))


def test_namespace_deletion_removes_contents(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="doomed")))
    v1.create_namespaced_config_map("doomed", _cm("a"))
    v1.create_namespaced_config_map("doomed", _cm("held", ["example.com/hold"]))
    answer = v1.delete_namespace("doomed")
    answer = answer if isinstance(answer, dict) else client.ApiClient().sanitize_for_serialization(answer)
    assert answer["status"]["phase"] == "Terminating"
    eventually(lambda: not _exists(lambda: v1.read_namespaced_config_map("a", "doomed")))
    ns = v1.read_namespace("doomed")
    assert ns.status.phase == "Terminating" and ns.metadata.deletion_timestamp
    with pytest.raises(ApiException) as err:
        v1.create_namespaced_config_map("doomed", _cm("late"))
    assert err.value.status == 403 and json.loads(err.value.body)["reason"] == "Forbidden"
    v1.patch_namespaced_config_map("held", "doomed", {"metadata": {"finalizers": None}})
    eventually(lambda: not _exists(lambda: v1.read_namespace("doomed")))


def test_preconditions(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    cm = v1.create_namespaced_config_map("default", _cm("p"))
    for pre in (client.V1Preconditions(uid="not-the-uid"), client.V1Preconditions(resource_version="1")):
        with pytest.raises(ApiException) as err:
            v1.delete_namespaced_config_map("p", "default", body=client.V1DeleteOptions(preconditions=pre))
        assert err.value.status == 409 and "Precondition failed" in json.loads(err.value.body)["message"]
    ok = client.V1Preconditions(uid=cm.metadata.uid, resource_version=cm.metadata.resource_version)
    v1.delete_namespaced_config_map("p", "default", body=client.V1DeleteOptions(preconditions=ok))
    assert not _exists(lambda: v1.read_namespaced_config_map("p", "default"))


def test_delete_collection_with_selector(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        v1.create_namespaced_config_map("default", _cm(name, tier=tier))
    v1.delete_collection_namespaced_config_map("default", label_selector="tier=web")
    assert [c.metadata.name for c in v1.list_namespaced_config_map("default").items] == ["c"]


def test_delete_pod_returns_the_object(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_pod("default", client.V1Pod(metadata=client.V1ObjectMeta(name="p"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="c", image="busybox:1")])))  # fmt: skip
    answer = v1.delete_namespaced_pod("p", "default")
    answer = answer if isinstance(answer, dict) else client.ApiClient().sanitize_for_serialization(answer)
    assert answer["kind"] == "Pod" and answer["metadata"]["name"] == "p"


def test_unknown_propagation_policy_is_rejected(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("x"))
    with pytest.raises(ApiException) as err:
        v1.delete_namespaced_config_map("x", "default", propagation_policy="Sometimes")
    assert err.value.status == 422


def test_system_namespaces_may_not_be_deleted(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    for name in ("default", "kube-system", "kube-public"):
        with pytest.raises(ApiException) as err:
            v1.delete_namespace(name)
        assert err.value.status == 403
        assert (
            json.loads(err.value.body)["message"]
            == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
        )


def test_namespace_finalize_subresource(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="fin")))
    v1.create_namespaced_config_map("fin", _cm("held", ["example.com/hold"]))
    v1.delete_namespace("fin")
    ns = v1.read_namespace("fin")
    assert ns.spec.finalizers == ["kubernetes"]
    ns.spec.finalizers = []
    v1.replace_namespace_finalize("fin", ns)
    eventually(lambda: not _exists(lambda: v1.read_namespace("fin")))
