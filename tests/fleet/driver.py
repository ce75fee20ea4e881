"""A reconcile loop for fleet tests, doing what a worker's refresh and sync do with the fleet pieces:
destination via cluster Secrets (gitops.clusters), project and resource checks, sync windows and
dependencies (gitops.projects.gate), the real compare and SyncEngine against kubesim clusters, and
status written to the Application on the management kubesim. Manifests come from fixture files named
by the Application annotation `fleet-test/manifests` (the source side has its own tests)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from gitops.cluster.kube import KubeClusterPort
from gitops.clusters import ClusterPorts, cluster_secret, unreachable_message
from gitops.clusters.store import ClusterSecretStore
from gitops.compare import compare_app
from gitops.dependencies import DEPENDENCY_CONDITION, dependency_gate
from gitops.errors import ClusterError, SpecError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.compose import compose_status
from gitops.model.operation import InitiatedBy, Operation, SyncOperation
from gitops.model.status import ApplicationStatus
from gitops.projects.checks import mark_forbidden
from gitops.projects.gate import FleetTarget, fleet_target, resource_gate, sync_gate
from gitops.registry import ApplicationRegistry
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine, SyncInputs
from gitops.sync.live import load_live
from gitops.sync.store import MemoryOperationStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REVISION = "c0ffee" + "0" * 34
MANIFESTS = "fleet-test/manifests"
Obj = dict[str, Any]


class FleetDriver:
    def __init__(self, mgmt: Any, namespace: str = "bosun") -> None:
        self.settings = Settings(namespace=namespace, cluster_qps=200, cluster_burst=400)
        api_client = mgmt.api_client()
        self.registry = ApplicationRegistry(api_client, namespace)
        self.store = ClusterSecretStore(api_client, namespace)
        self.ports = ClusterPorts(
            self.settings,
            self.store.list,
            lambda: KubeClusterPort(api_client, cluster="in-cluster"),
            catalog_ttl=0,
        )
        self.operations = MemoryOperationStore()
        self.fence = 1
        self.synced: list[str] = []  # app names in the order their syncs succeeded

    def add_cluster(self, name: str, server: Any) -> None:
        config = {"bearerToken": server.token} if server.token else {}
        self.store.create(cluster_secret(name, server.url, config, namespace=self.settings.namespace))

    def create_app(
        self, name: str, destination: Obj, manifests: str, project: str = "default", **meta: Any
    ) -> None:
        annotations = {MANIFESTS: manifests, **meta.pop("annotations", {})}
        self.registry.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": name, "annotations": annotations},
                "spec": {
                    "project": project,
                    "source": {"repoURL": "https://git.example.com/team/apps", "path": name},
                    "destination": destination,
                    "syncPolicy": {"automated": {"prune": True}},
                },
            }
        )

    def _desired(self, app: Obj) -> list[Obj]:
        name = app["metadata"]["annotations"][MANIFESTS]
        return [d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d]

    def _projects(self) -> dict[str, Obj]:
        return {p["metadata"]["name"]: p for p in self.registry.projects()}

    def _apps(self) -> dict[str, Obj]:
        return {a["metadata"]["name"]: a for a in self.registry.applications()}

    def _write(self, name: str, status: Obj) -> Obj:
        self.fence += 1
        self.registry.write_status(name, status, self.fence)
        return status

    def _target(self, app: Obj) -> FleetTarget:
        return fleet_target(app, self.ports, self._projects())

    def refresh(self, name: str) -> Obj:
        app = self.registry.application(name)
        assert app is not None
        now = datetime.now(UTC)
        previous = ApplicationStatus.from_dict(app.get("status"))
        try:
            target = self._target(app)
        except SpecError as err:
            invalid = ApplicationStatus(reconciled_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
            invalid.set_condition("InvalidSpecError", str(err), invalid.reconciled_at)
            return self._write(name, invalid.to_dict())
        namespace = str(app["spec"]["destination"].get("namespace") or "")
        desired = self._desired(app)
        compare = compare_app(target.port, name, desired, destination_namespace=namespace,
                              previous_resources=(app.get("status") or {}).get("resources") or [])  # fmt: skip
        composed = compose_status(previous, compare, revision=REVISION, now=now,
                                  operation_state=self.operations.load(name),
                                  history=self.operations.history(name))  # fmt: skip
        if compare.error is not None:
            composed.clear_condition("ComparisonError")
            composed.set_condition(
                "ComparisonError", unreachable_message(target.cluster, compare.error), "now"
            )
            status = composed.to_dict()
        else:
            status = mark_forbidden(composed.to_dict(), resource_gate(target, desired, namespace))
        gate = dependency_gate(name, self._apps())
        if gate.cycle:
            status.setdefault("conditions", []).append({"type": "InvalidSpecError", "message": gate.message})
        elif not gate.ready:
            status.setdefault("conditions", []).append(
                {"type": DEPENDENCY_CONDITION, "message": gate.message}
            )
        return self._write(name, status)

    def sync(self, name: str, *, manual: bool = False) -> tuple[bool, str]:
        """Start and run a sync if the gates allow it; (started, reason or final phase)."""
        app = self.registry.application(name)
        assert app is not None
        try:
            target = self._target(app)
        except SpecError as err:
            return False, str(err)
        blocking = [c for c in (app.get("status") or {}).get("conditions") or []
                    if c["type"] in ("InvalidSpecError", "ComparisonError")]  # fmt: skip
        if blocking:  # as should_auto_sync: never sync while the last refresh could not compare
            return False, f"{blocking[0]['type']}: {blocking[0]['message']}"
        namespace = str(app["spec"]["destination"].get("namespace") or "")
        desired = self._desired(app)
        try:
            forbidden = resource_gate(target, desired, namespace)
        except ClusterError as err:
            return False, unreachable_message(target.cluster, err)
        allowed, reason = sync_gate(
            app, target, self._apps(), datetime.now(UTC), manual=manual, forbidden=forbidden
        )
        if not allowed:
            return False, reason
        spec = ApplicationSyncSpec.from_spec(name, app["spec"])
        operation = Operation(
            sync=SyncOperation(revision=REVISION, prune=True),
            initiated_by=InitiatedBy(username="tester" if manual else "automated-sync", automated=not manual),
        )
        engine = SyncEngine(target.port, self.operations, settings=self.settings, poll_interval=0.05)
        engine.start(spec, operation)
        for _ in range(200):
            live = load_live(target.port, name, desired, destination_namespace=namespace)
            result = engine.step(spec, SyncInputs(desired=desired, live=live))
            if result.finished:
                break
            time.sleep(min(result.next_step_delay or 0.05, 0.2))
        if result.phase == "Succeeded":
            self.synced.append(name)
        self.refresh(name)
        return True, result.phase
