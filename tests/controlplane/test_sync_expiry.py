"""workers.sync_expiry: when a step that keeps raising must end its operation (pure, and the first-failure
clock against a private redis-server)."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from gitops.keys import Keys
from workers.sync_expiry import (
    expired_status,
    first_failure_time,
    forget_first_failure,
    never_started,
    operation_expired,
)

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


REQUESTED = {"sync": {"revision": "main"}, "initiatedBy": {"username": "alice"}}


def requested(previous_phase: str | None = None) -> dict[str, object]:
    """An app with `.operation` set that no step started (maybe beside an older, finished state)."""
    status: dict[str, object] = {"sync": {"status": "OutOfSync"}}
    if previous_phase:
        status["operationState"] = {"phase": previous_phase, "startedAt": "2025-12-31T00:00:00Z"}
    return {"metadata": {"name": "web"}, "operation": REQUESTED, "status": status}


def test_an_operation_that_never_started_is_timed_from_its_first_failure() -> None:
    assert never_started(requested()) and never_started(requested("Succeeded"))
    assert not never_started(app("Running", "2026-01-01T00:00:00Z"))
    first = NOW.timestamp() - 601
    assert operation_expired(requested("Succeeded"), 600, NOW, unstarted_since=first)
    assert not operation_expired(requested(), 600, NOW, unstarted_since=first + 2)
    assert not operation_expired(requested(), 1, NOW), "no failure recorded: no clock"


def test_expired_status_of_a_never_started_operation_records_it_failed() -> None:
    since = NOW.timestamp() - 700
    status = expired_status(requested("Succeeded"), 600, "ClusterError", unstarted_since=since)
    state = status["operationState"]
    assert state["operation"] == REQUESTED and state["phase"] == "Failed"
    assert state["startedAt"] == "2025-12-31T23:58:20Z"
    assert "ClusterError" in state["message"] and "timed out after 600s" in state["message"]


def test_first_failure_clock_is_per_operation(rclient: redis.Redis) -> None:
    keys = Keys("t")
    first = first_failure_time(rclient, keys, requested(), 60)
    assert first is not None and first_failure_time(rclient, keys, requested(), 60) == first
    assert 0 < rclient.ttl(keys.sync_unstarted_since("web")) <= 180
    other = {**requested(), "operation": {"sync": {"revision": "v2"}}}
    second = first_failure_time(rclient, keys, other, 60)
    assert second is not None and second >= first  # another operation: its own clock
    assert first_failure_time(rclient, keys, app("Running", "2026-01-01T00:00:00Z"), 60) is None
    forget_first_failure(rclient, keys, "web")
    assert rclient.get(keys.sync_unstarted_since("web")) is None
