"""The sync timeout when a step cannot run at all: a step that keeps raising (e.g. the app's spec or
destination cannot be read) must still end its operation once it is past `sync_timeout_seconds`.

A Running operation is timed from its `startedAt`. An operation whose FIRST step keeps failing never
got a `startedAt` (the engine records it when the operation starts), so it is timed from its first
failed step, kept in Redis (`Keys.sync_unstarted_since`) with a fingerprint of the operation: a
different operation later starts its own clock, and a lost key only restarts the clock."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis

from gitops.keys import Keys
from gitops.model.operation import operation_not_started
from gitops.model.timefmt import from_rfc3339, now_utc, to_rfc3339


def _state(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return (resource.get("status") or {}).get("operationState") or {}


def never_started(resource: Mapping[str, Any]) -> bool:
    """True when the app has a requested `.operation` that no step has started yet."""
    return operation_not_started(resource)


def operation_expired(
    resource: Mapping[str, Any],
    timeout_seconds: float,
    now: datetime | None = None,
    unstarted_since: float | None = None,
) -> bool:
    """True when the app's Running operation started more than `timeout_seconds` ago, or, for an
    operation that never started, when its first failed step (`unstarted_since`, unix time) is."""
    now = now or now_utc()
    if never_started(resource):
        return unstarted_since is not None and now.timestamp() - unstarted_since > timeout_seconds
    state = _state(resource)
    started = state.get("startedAt")
    if state.get("phase") not in ("Running", "Terminating") or not started:
        return False
    try:
        began = from_rfc3339(str(started))
    except ValueError:
        return False
    return (now - began).total_seconds() > timeout_seconds


def expired_status(
    resource: Mapping[str, Any], timeout_seconds: float, error: str, unstarted_since: float | None = None
) -> dict[str, Any]:
    """The app's status with its operation Failed for its timeout (the last step's error named); for
    an operation that never started, a new operationState for it, timed from its first failure."""
    status: dict[str, Any] = copy.deepcopy(dict(resource.get("status") or {}))
    status.pop("bosun", None)
    if never_started(resource):
        began = datetime.fromtimestamp(unstarted_since or now_utc().timestamp(), UTC)
        status["operationState"] = {
            "operation": copy.deepcopy(resource["operation"]),
            "startedAt": to_rfc3339(began),
        }
    state = status.setdefault("operationState", {})
    state["phase"] = "Failed"
    state["message"] = (
        f"Operation timed out after {timeout_seconds:g}s and was terminated; its last step failed with "
        f"{error} (raise BOSUN_SYNC_TIMEOUT_SECONDS if the app needs longer)"
    )
    state["finishedAt"] = to_rfc3339(now_utc())
    return status


def fingerprint(operation: Any) -> str:
    return hashlib.sha256(json.dumps(operation, sort_keys=True, default=str).encode()).hexdigest()[:16]


def first_failure_time(
    client: redis.Redis, keys: Keys, resource: Mapping[str, Any], timeout_seconds: float
) -> float | None:
    """For an operation that never started: the unix time of its first failed step (recorded now if
    this is the first, or if the one recorded belongs to another operation); None otherwise."""
    if not never_started(resource):
        return None
    key = keys.sync_unstarted_since(str(resource["metadata"]["name"]))
    mark = fingerprint(resource.get("operation"))
    now = now_utc().timestamp()
    ttl = int(2 * timeout_seconds) + 60
    client.set(key, f"{now}|{mark}", nx=True, ex=ttl)
    raw = client.get(key)
    text = raw.decode() if isinstance(raw, bytes) else str(raw or "")
    since, _, recorded = text.partition("|")
    if recorded != mark:
        client.set(key, f"{now}|{mark}", ex=ttl)
        return now
    try:
        return float(since)
    except ValueError:
        return now


def forget_first_failure(client: redis.Redis, keys: Keys, app: str) -> None:
    """Drop the clock once the operation has ended (or started: it is then timed from startedAt)."""
    client.delete(keys.sync_unstarted_since(app))
