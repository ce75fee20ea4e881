"""Helpers of the sync tests: load fixture manifests, run an operation step by step, and a port
wrapper that records the order of writes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gitops.cluster.port import ClusterPort, ResourceInfo
from gitops.model.application import ApplicationSyncSpec
from gitops.model.history import append_history
from gitops.model.operation import InitiatedBy, Operation, OperationState, SyncOperation
from gitops.model.status import HistoryEntry
from gitops.sync.engine import StepResult, SyncEngine, SyncInputs
from gitops.sync.live import load_live

FIXTURES = Path(__file__).parent / "fixtures" / "sync"
REVISION = "0123456789abcdef0123456789abcdef01234567"

Obj = dict[str, Any]


def manifests(name: str) -> list[Obj]:
    """The documents of tests/reconcile/fixtures/sync/<name>."""
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


def spec_for(app: str, namespace: str, policy: Obj | None = None, **spec: Any) -> ApplicationSyncSpec:
    """An ApplicationSyncSpec from a syncPolicy dict and other spec fields (camelCase)."""
    return ApplicationSyncSpec.from_spec(
        app, {"destination": {"namespace": namespace}, "syncPolicy": policy or {}, **spec}
    )


def simulate_controllers(cluster: Any) -> None:
    """For the in-memory port: Jobs finish (fail with kubesim's fail annotation), Deployments become available."""
    for obj in cluster.objects.values():
        annotations = obj.get("metadata", {}).get("annotations") or {}
        failing = annotations.get("kubesim.bosun.dev/fail") == "true"
        if obj["kind"] == "Job" and "status" not in obj:
            kind = "Failed" if failing else "Complete"
            obj["status"] = {"conditions": [{"type": kind, "status": "True", "reason": "Simulated"}]}
        if obj["kind"] == "Deployment" and "status" not in obj:
            replicas = obj.get("spec", {}).get("replicas", 1)
            obj["status"] = {
                "replicas": replicas,
                "updatedReplicas": replicas,
                "availableReplicas": replicas,
                "readyReplicas": replicas,
            }


def operation(
    *,
    prune: bool = False,
    dry_run: bool = False,
    options: list[str] | None = None,
    automated: bool = False,
    **extra: Any,
) -> Operation:
    return Operation(
        sync=SyncOperation(
            revision=REVISION, prune=prune, dry_run=dry_run, sync_options=options or [], **extra
        ),
        initiated_by=InitiatedBy(username="automated-sync" if automated else "tester", automated=automated),
    )


def inputs_from(
    cluster: ClusterPort, spec: ApplicationSyncSpec, desired: list[Obj], extra_kinds: Any = ()
) -> SyncInputs:
    live = load_live(
        cluster,
        spec.app_name,
        desired,
        destination_namespace=spec.destination_namespace,
        extra_kinds=extra_kinds,
    )
    return SyncInputs(desired=desired, live=live)


def run_operation(
    engine: SyncEngine,
    spec: ApplicationSyncSpec,
    desired: list[Obj],
    *,
    max_steps: int = 200,
    sleep: bool = False,
    extra_kinds: Any = (),
    between: Callable[[StepResult], None] | None = None,
) -> StepResult:
    """Run steps until the operation completes; `sleep` honours next_step_delay (real clusters)."""
    for _ in range(max_steps):
        result = engine.step(spec, inputs_from(engine.cluster, spec, desired, extra_kinds))
        if result.finished:
            return result
        if between is not None:
            between(result)
        if sleep and result.next_step_delay:
            time.sleep(min(result.next_step_delay, 0.5))
    raise AssertionError(f"operation still running after {max_steps} steps: {result.message}")


class RecordingPort:
    """Delegates to a ClusterPort and records every write as (verb, kind, name)."""

    def __init__(self, inner: ClusterPort) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str, str]] = []
        self.calls = inner.calls

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _name(self, obj: Obj) -> str:
        return str((obj.get("metadata") or {}).get("name") or "")

    def apply(
        self,
        obj: Obj,
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str | None = None,
    ) -> Obj:
        if not dry_run:
            self.writes.append(("apply", obj["kind"], self._name(obj)))
        return self.inner.apply(
            obj, field_manager=field_manager, force=force, dry_run=dry_run, field_validation=field_validation
        )

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        if not dry_run:
            self.writes.append(("create", obj["kind"], self._name(obj)))
        return self.inner.create(obj, dry_run=dry_run)

    def replace(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        if not dry_run:
            self.writes.append(("replace", obj["kind"], self._name(obj)))
        return self.inner.replace(obj, dry_run=dry_run)

    def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Foreground",
        dry_run: bool = False,
    ) -> None:
        if not dry_run:
            self.writes.append(("delete", info.kind, name))
        self.inner.delete(info, namespace, name, propagation=propagation, dry_run=dry_run)


class FileOperationStore:
    """An OperationStore in a JSON file, so separate processes share one operation (crash tests)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"states": {}, "history": {}}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)

    def load(self, app: str) -> OperationState | None:
        raw = self._read()["states"].get(app)
        return OperationState.from_dict(raw) if raw else None

    def save(self, app: str, state: OperationState) -> None:
        data = self._read()
        data["states"][app] = state.to_dict()
        self._write(data)

    def finish(self, app: str, state: OperationState, entry: HistoryEntry | None, history_limit: int) -> None:
        data = self._read()
        data["states"][app] = state.to_dict()
        operation_id = str(state.bosun.get("operationId") or "")
        finished = data.setdefault("finished", [])
        if entry is not None and operation_id not in finished:
            finished.append(operation_id)
            history = [HistoryEntry.from_dict(h) for h in data["history"].get(app, [])]
            data["history"][app] = [h.to_dict() for h in append_history(history, entry, history_limit)]
        self._write(data)

    def history(self, app: str) -> list[HistoryEntry]:
        return [HistoryEntry.from_dict(h) for h in self._read()["history"].get(app, [])]


def server_order(cluster: ClusterPort, kinds: list[tuple[str, str]], namespace: str) -> list[str]:
    """Names of the objects of `kinds` in creation order on the server (resourceVersion order)."""
    found = []
    for api_version, kind in kinds:
        info = cluster.resource_for(api_version, kind)
        for obj in cluster.list(info, namespace if info.namespaced else None):
            meta = obj["metadata"]
            found.append((int(meta["resourceVersion"]), meta["name"]))
    return [name for _, name in sorted(found)]
