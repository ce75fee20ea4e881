"""Custom resources whose CRD declares the status subresource (Bosun's Application CRD, Argo CD's
ApplicationSet CRD), as kube-apiserver serves them, over HTTP with the official client: main-resource
writes ignore status, `/status` writes change only status, PUT needs a current resourceVersion, apply
on `/status` records its manager; in-process status writes follow the CRD's shape.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from argo_application import JSON_PATCH, NS, PLURAL, STALE, G, V, application, serve, status_of
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def test_main_resource_writes_ignore_status_with_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, application(status={"sync": {}}))
    assert "status" not in created
    ops = [{"op": "add", "path": "/status", "value": {"sync": {"status": "Synced"}}}]
    unchanged = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH
    )
    assert "status" not in unchanged  # status reset to the stored one: nothing changed, nothing written
    assert unchanged["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert unchanged["metadata"]["generation"] == 1


def test_status_writes_change_only_status_with_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    body = dict(created, status={"sync": {"status": "Synced"}})
    body["spec"] = dict(created["spec"], project="sneaky")
    body["metadata"] = dict(created["metadata"], labels={"sneaky": "yes"}, annotations={"sneaky": "yes"})
    written = custom.replace_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook", body)
    assert written["status"] == {"sync": {"status": "Synced"}} and written["spec"]["project"] == "default"
    assert "labels" not in written["metadata"] and "annotations" not in written["metadata"]
    assert written["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object_status(
        G, V, NS, PLURAL, "guestbook", {"status": {"health": {"status": "Healthy"}}, "spec": {"project": "x"}}
    )
    assert patched["status"] == {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    assert patched["spec"]["project"] == "default" and patched["metadata"]["generation"] == 1


def test_status_put_needs_a_current_resource_version(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    unconditional = application(status={"sync": {"status": "Synced"}})
    with pytest.raises(ApiException) as caught:
        custom.replace_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook", unconditional)
    status = status_of(caught)
    assert caught.value.status == 422 and status["message"] == (
        'applications.argoproj.io "guestbook" is invalid: metadata.resourceVersion: '
        "Invalid value: 0x0: must be specified for an update"
    )
    assert status["details"]["kind"] == PLURAL and status["details"]["group"] == G
    custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", {"spec": {"project": "p2"}})
    stale = dict(
        unconditional,
        metadata={"name": "guestbook", "resourceVersion": created["metadata"]["resourceVersion"]},
    )
    with pytest.raises(ApiException) as caught:
        custom.replace_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook", stale)
    assert caught.value.status == 409 and status_of(caught)["message"] == STALE
    assert "status" not in custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")


@pytest.mark.parametrize("status_subresource", [False, True])
def test_in_process_status_writes_follow_the_crd(
    kubesim_server: KubesimServer, status_subresource: bool
) -> None:
    """`Api.write_status` (simulated controllers) moves generation only when status is not a subresource."""
    custom = serve(kubesim_server, status_subresource=status_subresource)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())

    def write(api: Any) -> Any:
        return api.write_status(api.resolve(G, V, PLURAL), NS, "guestbook", {"sync": {"status": "Synced"}})

    written = kubesim_server.call(write)
    assert written["status"] == {"sync": {"status": "Synced"}}
    assert written["metadata"]["generation"] == (1 if status_subresource else 2)
    entry = next(e for e in written["metadata"]["managedFields"] if e["manager"] == "kube-controller-manager")
    assert entry.get("subresource") == ("status" if status_subresource else None)
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["metadata"]["generation"] == written["metadata"]["generation"]


def test_apply_to_status_records_its_manager(kubesim_server: KubesimServer) -> None:
    """Server-side apply on `/status` keeps the managedFields entry it makes (subresource "status")."""
    custom = serve(kubesim_server, status_subresource=True)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    path = f"{kubesim_server.url}/apis/{G}/{V}/namespaces/{NS}/{PLURAL}/guestbook/status"
    applied = {"apiVersion": f"{G}/{V}", "kind": "Application", "metadata": {"name": "guestbook"},
               "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}}  # fmt: skip
    headers = {"Content-Type": "application/apply-patch+yaml"}
    first = httpx.patch(
        path, params={"fieldManager": "controller"}, content=json.dumps(applied), headers=headers
    )
    assert first.status_code == 200 and first.json()["status"] == applied["status"]
    entries = {e["manager"]: e for e in first.json()["metadata"]["managedFields"]}
    assert entries["controller"]["operation"] == "Apply" and entries["controller"]["subresource"] == "status"
    assert entries["controller"]["fieldsV1"] == {
        "f:status": {"f:health": {"f:status": {}}, "f:sync": {"f:status": {}}}
    }
    del applied["status"]["health"]  # no longer applied, owned by no one else: removed
    second = httpx.patch(
        path, params={"fieldManager": "controller"}, content=json.dumps(applied), headers=headers
    )
    assert second.status_code == 200 and second.json()["status"] == {"sync": {"status": "Synced"}}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["status"] == {"sync": {"status": "Synced"}} and stored["spec"]["project"] == "default"
