"""No password from a repoURL in what Bosun records about operations, for multi-source apps too:
`operation.sync.sources[]`, `status.operationState.operation`, `syncResult.sources[]` and
`history[].sources[]` (gitops.registry.redaction), through the worker's reconciler (workers.engine),
the refusal of a first step (gitops.projects.review) and the pinning of an operation."""

from __future__ import annotations

import copy
import json
from typing import Any

from gitops.model.operation import Operation
from gitops.projects.review import refused_operation_status
from gitops.registry.redaction import redact_operation, redact_status
from workers.engine import EngineReconciler
from workers.ports import RefreshOutcome, StepOutcome

SECRET = "s3cr3t-pw"
A = f"https://bosun:{SECRET}@git.example/team/a.git"
B = f"https://x-token:{SECRET}@git.example/team/b.git"
SOURCES = [{"repoURL": A, "path": "a", "targetRevision": "HEAD"},
           {"repoURL": B, "chart": "b", "targetRevision": "1.2.3"}]  # fmt: skip


def app() -> dict[str, Any]:
    return {
        "metadata": {"name": "multi"},
        "spec": {"project": "default", "sources": copy.deepcopy(SOURCES),
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "multi"}},
        "operation": {"sync": {"sources": copy.deepcopy(SOURCES), "source": dict(SOURCES[0])},
                      "initiatedBy": {"username": "alice"}},
        "status": {"history": [{"id": 0, "revision": "abc", "sources": copy.deepcopy(SOURCES)}]},
    }  # fmt: skip


def recorded_status() -> dict[str, Any]:
    return {
        "sync": {"status": "Synced"},
        "resources": [{"kind": "ConfigMap", "name": "a"}],
        "operationState": {
            "operation": copy.deepcopy(app()["operation"]),
            "phase": "Succeeded",
            "syncResult": {"sources": copy.deepcopy(SOURCES), "source": dict(SOURCES[1]), "revisions": ["1", "2"]},
        },
        "history": [{"id": 1, "revision": "abc", "sources": copy.deepcopy(SOURCES), "source": dict(SOURCES[0])}],
    }  # fmt: skip


def no_password(value: Any) -> bool:
    return SECRET not in json.dumps(value)


def test_redaction_covers_every_recorded_source_and_keeps_the_rest() -> None:
    status = recorded_status()
    before = copy.deepcopy(status)
    cleaned = redact_status(status)
    assert no_password(cleaned) and status == before  # a copy: the input is untouched
    assert (
        cleaned["operationState"]["syncResult"]["sources"][0]["repoURL"] == "https://git.example/team/a.git"
    )
    assert cleaned["history"][0]["sources"][1] == {"repoURL": "https://git.example/team/b.git", "chart": "b",
                                                   "targetRevision": "1.2.3"}  # fmt: skip
    assert cleaned["resources"] == status["resources"] and cleaned["sync"] == status["sync"]
    assert no_password(redact_operation(app()["operation"]))
    assert redact_operation({"sync": {"sources": ["not-a-dict"]}}) == {"sync": {"sources": ["not-a-dict"]}}


def test_a_refused_first_step_records_the_operation_without_passwords() -> None:
    status = refused_operation_status(app(), "kind Secret is not permitted")
    assert status["operationState"]["phase"] == "Failed"
    assert (
        status["operationState"]["operation"]["sync"]["sources"][1]["repoURL"]
        == "https://git.example/team/b.git"
    )
    assert no_password(status)


def reconciler_returning(refresh: RefreshOutcome, step: StepOutcome) -> EngineReconciler:
    engine = EngineReconciler.__new__(EngineReconciler)
    engine._refresh = lambda app, hard: refresh  # type: ignore[method-assign]
    engine._sync_step = lambda app: step  # type: ignore[method-assign]
    engine._push_stats = lambda: None  # type: ignore[method-assign]
    return engine


def test_the_reconciler_returns_statuses_and_operations_without_passwords() -> None:
    operation = {"sync": {"sources": copy.deepcopy(SOURCES)}, "initiatedBy": {"automated": True}}
    engine = reconciler_returning(
        RefreshOutcome(recorded_status(), start_sync=True, operation=operation),
        StepOutcome(recorded_status(), done=True),
    )
    refreshed = engine.refresh(app(), hard=False)
    assert no_password(refreshed.status) and no_password(refreshed.operation)
    assert refreshed.operation["sync"]["sources"][0]["path"] == "a"  # type: ignore[index]
    stepped = engine.sync_step(app())
    assert no_password(stepped.status) and stepped.done


def test_pinning_a_multi_source_operation_strips_a_requested_source() -> None:
    engine = EngineReconciler.__new__(EngineReconciler)
    pinned = engine._pinned(app(), Operation.from_dict(app()["operation"]))
    assert pinned.sync.source == {
        "repoURL": "https://git.example/team/a.git",
        "path": "a",
        "targetRevision": "HEAD",
    }
    assert no_password(pinned.to_dict())
