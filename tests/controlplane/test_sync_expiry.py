"""workers.sync_expiry: when a step that keeps raising must end its operation (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from workers.sync_expiry import expired_status, operation_expired

NOW = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


def app(phase: str, started: str | None) -> dict[str, object]:
    state: dict[str, object] = {"phase": phase, "operation": {"sync": {}}}
    if started:
        state["startedAt"] = started
    return {"status": {"operationState": state, "sync": {"status": "OutOfSync"}, "bosun": {"fence": 3}}}


def test_running_past_the_timeout_is_expired() -> None:
    assert operation_expired(app("Running", "2026-01-01T00:00:00Z"), 599, NOW)
    assert not operation_expired(app("Running", "2026-01-01T00:00:00Z"), 600, NOW)


def test_finished_unstarted_or_garbled_operations_are_not_expired() -> None:
    assert not operation_expired(app("Succeeded", "2026-01-01T00:00:00Z"), 1, NOW)
    assert not operation_expired(app("Running", None), 1, NOW)
    assert not operation_expired(app("Running", "yesterday"), 1, NOW)
    assert not operation_expired({}, 1, NOW)


def test_expired_status_fails_the_operation_and_names_the_error() -> None:
    status = expired_status(app("Running", "2026-01-01T00:00:00Z"), 60, "SpecError")
    state = status["operationState"]
    assert state["phase"] == "Failed" and "timed out after 60s" in state["message"]
    assert "SpecError" in state["message"] and state["finishedAt"] and state["startedAt"]
    assert "bosun" not in status and status["sync"] == {"status": "OutOfSync"}
