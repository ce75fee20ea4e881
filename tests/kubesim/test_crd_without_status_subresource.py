"""Custom resources whose CRD declares no status subresource, as kube-apiserver serves them, over HTTP with
the official client: Argo CD's own Application CRD (its controller writes status by patching the whole
resource, clearing `operation` in the same patch). `/status` is 404, status travels with the main
resource, JSON patches (test, remove) and stale resourceVersions fail like on the real server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from argo_application import JSON_PATCH, NS, PLURAL, STALE, G, V, application, serve, status_of
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def test_status_endpoint_is_404_without_the_subresource(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    calls = [
        lambda: custom.get_namespaced_custom_object_status(G, V, NS, PLURAL, "guestbook"),
        lambda: custom.replace_namespaced_custom_object_status(
            G, V, NS, PLURAL, "guestbook", application(status={"sync": {"status": "Synced"}})
        ),
        lambda: custom.patch_namespaced_custom_object_status(
            G, V, NS, PLURAL, "guestbook", {"status": {"sync": {"status": "Synced"}}}
        ),
    ]
    for call in calls:
        with pytest.raises(ApiException) as caught:
            call()
        status = status_of(caught)
        assert caught.value.status == 404 and status["reason"] == "NotFound"
        assert status["message"] == 'applications.argoproj.io "guestbook" not found'
        assert status["details"] == {"name": "guestbook", "group": G, "kind": PLURAL}
    resources = httpx.get(f"{kubesim_server.url}/apis/{G}/{V}").json()["resources"]
    assert {r["name"] for r in resources} == {PLURAL}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert "status" not in stored and stored["metadata"]["resourceVersion"]


def test_main_resource_writes_change_status_and_bump_generation(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(
        G, V, NS, PLURAL, application(status={"sync": {"status": "Unknown"}})
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
    custom = serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(
        G,
        V,
        NS,
        PLURAL,
        application(operation={"sync": {"revision": "abc"}, "initiatedBy": {"username": "me"}}),
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
    custom = serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(
        G, V, NS, PLURAL, application(operation={"sync": {"revision": "abc"}})
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
    status = status_of(caught)
    assert caught.value.status == 409 and status["reason"] == "Conflict" and status["message"] == STALE
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["status"] == {"sync": {"status": "Synced"}}
    assert stored["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"]


def test_merge_patch_with_a_stale_resource_version_is_409(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", {"status": {"sync": {"status": "Synced"}}}
    )
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
             "status": {"sync": {"status": "OutOfSync"}}}  # fmt: skip
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", stale)
    assert caught.value.status == 409 and status_of(caught)["message"] == STALE
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
    custom = serve(kubesim_server, status_subresource=False)
    created = custom.create_namespaced_custom_object(G, V, NS, PLURAL, application())
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH)
    status = status_of(caught)
    assert caught.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert status["details"] == {}
    stored = custom.get_namespaced_custom_object(G, V, NS, PLURAL, "guestbook")
    assert stored["spec"]["project"] == "default"
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_passing_test_operation_applies_the_patch(kubesim_server: KubesimServer) -> None:
    custom = serve(kubesim_server, status_subresource=False)
    custom.create_namespaced_custom_object(G, V, NS, PLURAL, application(operation={"sync": {}}))
    ops = [
        {"op": "test", "path": "/operation", "value": {"sync": {}}},
        {"op": "remove", "path": "/operation"},
    ]
    patched = custom.patch_namespaced_custom_object(
        G, V, NS, PLURAL, "guestbook", ops, _content_type=JSON_PATCH
    )
    assert "operation" not in patched
