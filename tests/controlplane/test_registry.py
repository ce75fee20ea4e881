"""CRDs and the Application registry against kubesim over HTTP, with the real kubectl."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
import yaml

from gitops.errors import LockLostError
from gitops.registry import ApplicationRegistry, durable_fence

from .kube import APPS, CRDS, install_crds, kubectl


@pytest.fixture(params=["bosun-crd", "argo-crd"])
def registry(request: pytest.FixtureRequest, kubesim_server: Any) -> ApplicationRegistry:
    """The registry over Bosun's CRD (status subresource) and over Argo CD's shape (none)."""
    install_crds(kubesim_server.kubeconfig, argo_shape=request.param == "argo-crd")
    return ApplicationRegistry(kubesim_server.api_client(), "bosun", page_size=3)


@pytest.fixture
def bosun_registry(kubesim_server: Any) -> ApplicationRegistry:
    install_crds(kubesim_server.kubeconfig)
    return ApplicationRegistry(kubesim_server.api_client(), "bosun", page_size=3)


def status(sync: str, health: str, revision: str = "a" * 40) -> dict[str, Any]:
    return {
        "sync": {"status": sync, "revision": revision},
        "health": {"status": health},
        "reconciledAt": "2026-11-26T07:00:00Z",
        "resources": [{"kind": "Deployment", "name": "guestbook-ui", "status": sync}],
    }


def test_argocd_application_applies_unchanged_and_reads_back(
    registry: ApplicationRegistry, kubesim_server: Any
) -> None:
    manifest = APPS / "guestbook-argocd-application.yaml"
    kubectl(
        kubesim_server.kubeconfig, "apply", "-f", str(manifest), "-f", str(APPS / "default-appproject.yaml")
    )
    app = registry.application("guestbook")
    assert app is not None
    original = yaml.safe_load(manifest.read_text())
    assert app["spec"] == original["spec"]  # every Argo CD field kept, nothing pruned
    assert [a["metadata"]["name"] for a in registry.applications()] == ["guestbook"]
    project = registry.project("default")
    assert project is not None and project["spec"]["sourceRepos"] == ["*"]
    assert registry.application("nope") is None


def printer_columns() -> list[dict[str, Any]]:
    crd = yaml.safe_load((CRDS / "application-crd.yaml").read_text())
    columns: list[dict[str, Any]] = crd["spec"]["versions"][0]["additionalPrinterColumns"]
    return columns


def test_status_written_with_fence_fills_the_printer_columns(
    registry: ApplicationRegistry, kubesim_server: Any
) -> None:
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(APPS / "guestbook-argocd-application.yaml"))
    updated = registry.write_status("guestbook", status("Synced", "Healthy"), fence=3)
    assert updated is not None and durable_fence(updated) == 3
    columns = [c for c in printer_columns() if c["type"] == "string"]
    assert [c["name"] for c in columns] == ["Sync Status", "Health Status", "Revision", "Project"]
    spec = ",".join(f"{c['name'].replace(' ', '_')}:{c['jsonPath']}" for c in columns)
    table = kubectl(
        kubesim_server.kubeconfig, "get", "applications", "-n", "bosun", "-o", f"custom-columns={spec}"
    ).stdout
    assert table.split() == [
        "Sync_Status",
        "Health_Status",
        "Revision",
        "Project",
        "Synced",
        "Healthy",
        "a" * 40,
        "default",
    ]


def test_kubectl_get_applications_shows_sync_and_health(
    registry: ApplicationRegistry, kubesim_server: Any
) -> None:
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(APPS / "guestbook-argocd-application.yaml"))
    registry.write_status("guestbook", status("Synced", "Healthy"), fence=1)
    header, row = (
        kubectl(kubesim_server.kubeconfig, "get", "applications", "-n", "bosun").stdout.strip().splitlines()
    )
    assert header.split()[:5] == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"]
    assert row.split()[:3] == ["guestbook", "Synced", "Healthy"]


def test_spec_apply_never_clobbers_status(bosun_registry: ApplicationRegistry, kubesim_server: Any) -> None:
    registry = bosun_registry  # with the status subresource, even a patch carrying status keeps it
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(APPS / "guestbook-argocd-application.yaml"))
    registry.write_status("guestbook", status("OutOfSync", "Healthy"), fence=1)
    doc = yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text())
    doc["spec"]["source"]["targetRevision"] = "v2"
    doc["status"] = {"sync": {"status": "Synced"}}
    registry.patch("guestbook", {"spec": doc["spec"], "status": doc["status"]})
    app = registry.application("guestbook")
    assert app is not None
    assert app["spec"]["source"]["targetRevision"] == "v2"
    assert app["status"]["sync"]["status"] == "OutOfSync"


def test_stale_fence_write_is_rejected(registry: ApplicationRegistry, kubesim_server: Any) -> None:
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(APPS / "guestbook-argocd-application.yaml"))
    registry.write_status("guestbook", status("Synced", "Healthy"), fence=7)
    with pytest.raises(LockLostError) as caught:
        registry.write_status("guestbook", status("OutOfSync", "Degraded"), fence=6)
    assert "guestbook" in str(caught.value) and "fence 7" in str(caught.value)
    app = registry.application("guestbook")
    assert app is not None
    assert app["status"]["sync"]["status"] == "Synced" and durable_fence(app) == 7


def test_racing_writers_newest_fence_wins(registry: ApplicationRegistry, kubesim_server: Any) -> None:
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(APPS / "guestbook-argocd-application.yaml"))
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(6)

    def write(fence: int) -> None:
        own = ApplicationRegistry(kubesim_server.api_client(), "bosun")
        barrier.wait()
        try:
            own.write_status("guestbook", status("Synced", "Healthy", revision=str(fence) * 40), fence)
            outcomes[fence] = "written"
        except LockLostError:
            outcomes[fence] = "fenced"

    threads = [threading.Thread(target=write, args=(fence,)) for fence in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes[6] == "written"
    app = registry.application("guestbook")
    assert app is not None and durable_fence(app) == 6
    assert app["status"]["sync"]["revision"] == "6" * 40


def test_listing_pages_through_many_apps(registry: ApplicationRegistry) -> None:
    doc = yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text())
    for n in range(8):
        app = copy.deepcopy(doc)
        app["metadata"] = {"name": f"app-{n}"}
        registry.create(app)
    assert sorted(a["metadata"]["name"] for a in registry.applications()) == [f"app-{n}" for n in range(8)]


def test_write_status_of_deleted_app_returns_none(registry: ApplicationRegistry) -> None:
    assert registry.write_status("ghost", status("Synced", "Healthy"), fence=1) is None
    assert registry.delete("ghost") is False


def test_kubectl_apply_of_a_spec_keeps_status_on_either_crd(
    registry: ApplicationRegistry, kubesim_server: Any
) -> None:
    manifest = APPS / "guestbook-argocd-application.yaml"
    kubectl(kubesim_server.kubeconfig, "apply", "-f", str(manifest))
    registry.write_status("guestbook", status("OutOfSync", "Healthy"), fence=1)
    doc = yaml.safe_load(manifest.read_text())
    doc["spec"]["source"]["targetRevision"] = "v2"
    kubectl(kubesim_server.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(doc))
    app = registry.application("guestbook")
    assert app is not None and app["spec"]["source"]["targetRevision"] == "v2"
    assert app["status"]["sync"]["status"] == "OutOfSync" and durable_fence(app) == 1


def test_status_subresource_found_by_discovery(registry: ApplicationRegistry, request: Any) -> None:
    assert registry.status_subresource() is ("bosun-crd" in request.node.callspec.id)


def create_with_operation(registry: ApplicationRegistry, operation: dict[str, Any] | None) -> dict[str, Any]:
    doc = yaml.safe_load((APPS / "guestbook-argocd-application.yaml").read_text())
    if operation is not None:
        doc["operation"] = operation
    return registry.create(doc)


MANUAL = {"sync": {"revision": "main"}, "initiatedBy": {"username": "alice"}}
AUTOMATED = {"sync": {}, "initiatedBy": {"username": "automated-sync", "automated": True}}


def test_finished_operation_leaves_with_the_status_that_ends_it(registry: ApplicationRegistry) -> None:
    current = create_with_operation(registry, MANUAL)
    ended = {**status("Synced", "Healthy"), "operationState": {"phase": "Succeeded", "operation": MANUAL}}
    written = registry.write_status("guestbook", ended, fence=2, current=current, finished=MANUAL)
    assert written is not None and "operation" not in written
    app = registry.application("guestbook")
    assert app is not None and not app.get("operation")
    assert app["status"]["operationState"]["phase"] == "Succeeded" and durable_fence(app) == 2


def test_a_newer_operation_is_not_cleared_by_the_end_of_the_old_one(registry: ApplicationRegistry) -> None:
    stale = create_with_operation(registry, MANUAL)
    newer = {"sync": {"revision": "v2"}, "initiatedBy": {"username": "bob"}}
    registry.patch("guestbook", {"operation": newer})  # after the step read the app: its read is stale
    ended = {**status("Synced", "Healthy"), "operationState": {"phase": "Succeeded"}}
    registry.write_status("guestbook", ended, fence=2, current=stale, finished=MANUAL)
    app = registry.application("guestbook")
    assert app is not None and app["operation"] == newer
    assert app["status"]["operationState"]["phase"] == "Succeeded"


def test_an_automated_operation_starts_with_the_status_only_when_none_is_there(
    registry: ApplicationRegistry,
) -> None:
    current = create_with_operation(registry, None)
    written = registry.write_status(
        "guestbook", status("OutOfSync", "Healthy"), 1, current=current, start=AUTOMATED
    )
    assert written is not None and written["operation"] == AUTOMATED
    registry.patch("guestbook", {"operation": None})  # a merge patch would merge the two operations
    registry.patch("guestbook", {"operation": MANUAL})
    registry.write_status("guestbook", status("OutOfSync", "Healthy"), 2, start=AUTOMATED)
    app = registry.application("guestbook")
    assert app is not None and app["operation"] == MANUAL and durable_fence(app) == 2


def test_a_stale_read_keeps_the_newer_sync_owned_fields(registry: ApplicationRegistry) -> None:
    stale = create_with_operation(registry, None)
    history = [{"id": 0, "revision": "b" * 40}]
    registry.write_status("guestbook", {**status("Synced", "Healthy"), "history": history}, fence=1)
    refreshed = status("OutOfSync", "Healthy")
    registry.write_status("guestbook", refreshed, fence=1, current=stale, keep=("history", "operationState"))
    app = registry.application("guestbook")
    assert app is not None and app["status"]["history"] == history
    assert app["status"]["sync"]["status"] == "OutOfSync"
