"""The sync timeout when a step cannot run at all: a step that keeps raising (e.g. the app's spec or
destination cannot be read) must still end its operation once it is past `sync_timeout_seconds`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gitops.model.timefmt import from_rfc3339, now_utc, to_rfc3339


def operation_expired(
    resource: Mapping[str, Any], timeout_seconds: float, now: datetime | None = None
) -> bool:
    """True when the app's Running operation started more than `timeout_seconds` ago."""
    state = (resource.get("status") or {}).get("operationState") or {}
    started = state.get("startedAt")
    if state.get("phase") not in ("Running", "Terminating") or not started:
        return False
    try:
        began = from_rfc3339(str(started))
    except ValueError:
        return False
    return ((now or now_utc()) - began).total_seconds() > timeout_seconds


def expired_status(resource: Mapping[str, Any], timeout_seconds: float, error: str) -> dict[str, Any]:
    """The app's status with its operation Failed for its timeout (the last step's error named)."""
    status: dict[str, Any] = copy.deepcopy(dict(resource.get("status") or {}))
    status.pop("bosun", None)
    state = status.setdefault("operationState", {})
    state["phase"] = "Failed"
    state["message"] = (
        f"Operation timed out after {timeout_seconds:g}s and was terminated; its last step failed with "
        f"{error} (raise BOSUN_SYNC_TIMEOUT_SECONDS if the app needs longer)"
    )
    state["finishedAt"] = to_rfc3339(now_utc())
    return status
