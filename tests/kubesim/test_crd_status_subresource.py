"""Custom resources with and without the status subresource, as kube-apiserver serves them, over HTTP with
the official client. Argo CD's own Application CRD has no `subresources.status` (its controller writes
status by patching the whole resource, clearing `operation` in the same patch); its ApplicationSet CRD
and Bosun's Application CRD (deploy/crds) have it. Both shapes come from deploy/crds/application-crd.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer

CRD_FILE = Path(__file__).resolve().parents[2] / "deploy" / "crds" / "application-crd.yaml"
G, V, NS, PLURAL = "argoproj.io", "v1alpha1", "default", "applications"
JSON_PATCH = "application/json-patch+json"
STALE = (
    'Operation cannot be fulfilled on applications.argoproj.io "guestbook": the object has been modified; '
    "please apply your changes to the latest version and try again"
)


def _application_crd(status_subresource: bool) -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())
    for version in crd["spec"]["versions"]:
        if not status_subresource:
            version.pop("subresources", None)  # Argo CD's own CRD
        else:
            assert version["subresources"] == {"status": {}}
    return crd


def _application(**extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "Application",
        "metadata": {"name": "guestbook"},
        "spec": {"project": "default", "destination": {"namespace": "web"},
                 "source": {"repoURL": "https://git.example.com/apps.git", "path": "guestbook"}},
        **extra,
    }  # fmt: skip


def _serve(server: KubesimServer, status_subresource: bool) -> Any:
    client.ApiextensionsV1Api(server.api_client()).create_custom_resource_definition(
        _application_crd(status_subresource)
    )
    return client.CustomObjectsApi(server.api_client())


def _status_of(caught: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    return dict(json.loads(str(caught.value.body)))


# --- without the status subresource (Argo CD's Application CRD) ---------------------------------------------


def test_status_endpoint_is_404_without_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
    calls = [
        lambda: custom.get_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook"),
        lambda: custom.replace_namespaced_custom_object_status(
            G, V, NS, PLURAL, "guestbook", _application(status={"sync": {"status": "Synced"}})
        ),
        lambda: custom.patch_namespaced_custom_object_status(
            G, V, NS, PLURAL, "guestbook", {"status": {"sync": {"status": "Synced"}}}
        ),
    ]
    for call in calls:
        with pytest.raises(ApiException) as caught:
            call()
        status = _status_of(caught)
        assert caught.value.status == 404 and status["reason"] == "NotFound"
        assert status["message"] == 'applications.argoproj.io "guestbook" not found'
        assert status["details"] == {"name": "guestbook", "group": G, "kind": PLURAL}
    resources = httpx.get(f"{kubesim_server.url}/apis/{G}/{V}").json()["resources"]
    assert {r["name"] for r in resources} == {PLURAL}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert "status" not in stored and stored["metadata"]["resourceVersion"]


def test_main_resource_writes_change_status_and_bump_generation(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(
        G, V, NS, PLURAL, _application(status={"sync": {"status": "Unknown"}})
    )
    assert created["status"] == {"sync": {"status": "Unknown"}} and created["metadata"]["generation"] == 1
    created["status"] = {"sync": {"status": "OutOfSync"}}
    replaced = custom.replace_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", created)
    assert replaced["status"] == {"sync": {"status": "OutOfSync"}}
    assert replaced["metadata"]["generation"] == 2  # without the subresource status is tracked too
    merged = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", {"status": {"health": {"status": "Healthy"}}}
    )
    assert merged["status"] == {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"}}
    assert merged["metadata"]["generation"] == 3


def test_finished_operation_and_status_in_one_patch(kubesim_server: KubesimServer) -> None:
    """What Argo CD's controller sends when an operation completes: status and `operation: null`."""
    custom = _serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(
        G,
        V,
        NS,
        PLURAL,
        _application(operation={"sync": {"revision": "abc"}, "initiatedBy": {"username": "me"}}),
    )
    patch = {
        "operation": None,
        "status": {"operationState": {"phase": "Succeeded"}, "sync": {"status": "Synced"}},
    }
    patched = custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", patch)
    assert "operation" not in patched
    assert patched["status"] == {"operationState": {"phase": "Succeeded"}, "sync": {"status": "Synced"}}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert "operation" not in stored and stored["status"]["sync"] == {"status": "Synced"}


def test_json_patch_guarded_by_resource_version(kubesim_server: KubesimServer) -> None:
    """One JSON patch: the resourceVersion read, `/status` replaced, `/operation` removed."""
    custom = _serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(
        G, V, NS, PLURAL, _application(operation={"sync": {"revision": "abc"}})
    )
    read_version = created["metadata"]["resourceVersion"]
    ops = [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": read_version},
        {"op": "add", "path": "/status", "value": {"sync": {"status": "Synced"}}},
        {"op": "remove", "path": "/operation"},
    ]
    patched = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH
    )
    assert patched["status"] == {"sync": {"status": "Synced"}} and "operation" not in patched
    assert int(patched["metadata"]["resourceVersion"]) > int(read_version)
    again = [{**ops[0]}, {"op": "add", "path": "/status", "value": {"sync": {"status": "OutOfSync"}}}]
    with pytest.raises(ApiException) as caught:  # the version read is stale now
        custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", again, _content_type=JSON_PATCH)
    status = _status_of(caught)
    assert caught.value.status == 409 and status["reason"] == "Conflict" and status["message"] == STALE
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["status"] == {"sync": {"status": "Synced"}}
    assert stored["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"]


def test_merge_patch_with_a_stale_resource_version_is_409(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
    custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", {"status": {"sync": {"status": "Synced"}}}
    )
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
             "status": {"sync": {"status": "OutOfSync"}}}  # fmt: skip
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", stale)
    assert caught.value.status == 409 and _status_of(caught)["message"] == STALE
    current = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    fresh = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
             "status": {"sync": {"status": "OutOfSync"}}}  # fmt: skip
    patched = custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", fresh)
    assert patched["status"] == {"sync": {"status": "OutOfSync"}}


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/spec/project", "value": "other"},
         {"op": "replace", "path": "/spec/project", "value": "changed"}],
        [{"op": "replace", "path": "/spec/project", "value": "changed"}, {"op": "remove", "path": "/operation"}],
        [{"op": "remove", "path": "/status/sync"}],
    ],
    ids=["failing-test", "remove-missing-operation", "remove-missing-status"],
)  # fmt: skip
def test_json_patch_that_does_not_apply_is_422(
    kubesim_server: KubesimServer, ops: list[dict[str, Any]]
) -> None:
    custom = _serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH)
    status = _status_of(caught)
    assert caught.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert status["details"] == {}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["spec"]["project"] == "default"
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_passing_test_operation_applies_the_patch(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application(operation={"sync": {}}))
    ops = [
        {"op": "test", "path": "/operation", "value": {"sync": {}}},
        {"op": "remove", "path": "/operation"},
    ]
    patched = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH
    )
    assert "operation" not in patched


# --- with the status subresource (Bosun's Application CRD, Argo CD's ApplicationSet CRD) -------------------


def test_main_resource_writes_ignore_status_with_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application(status={"sync": {}}))
    assert "status" not in created
    ops = [{"op": "add", "path": "/status", "value": {"sync": {"status": "Synced"}}}]
    unchanged = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH
    )
    assert "status" not in unchanged  # status reset to the stored one: nothing changed, nothing written
    assert unchanged["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert unchanged["metadata"]["generation"] == 1


def test_status_writes_change_only_status_with_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = _serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
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
    custom = _serve(kubesim_server, status_subresource=True)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
    unconditional = _application(status={"sync": {"status": "Synced"}})
    with pytest.raises(ApiException) as caught:
        custom.replace_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook", unconditional)
    status = _status_of(caught)
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
    assert caught.value.status == 409 and _status_of(caught)["message"] == STALE
    assert "status" not in custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")


@pytest.mark.parametrize("status_subresource", [False, True])
def test_in_process_status_writes_follow_the_crd(
    kubesim_server: KubesimServer, status_subresource: bool
) -> None:
    """`Api.write_status` (simulated controllers) moves generation only when status is not a subresource."""
    custom = _serve(kubesim_server, status_subresource=status_subresource)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())

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
    custom = _serve(kubesim_server, status_subresource=True)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, _application())
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
