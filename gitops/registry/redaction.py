"""Userinfo (user:password@) out of the repository URLs Bosun records on an Application.

Argo CD records an operation's sources in `operation.sync.source` / `operation.sync.sources[]`, and
again in `status.operationState.operation`, `status.operationState.syncResult.source(s)` and
`status.history[].source(s)`. A repoURL with credentials in `spec.source` or `spec.sources[]` must
never be copied there (statuses are read by anyone who may read Applications): `redact_operation`
and `redact_status` return copies with every such repoURL stripped of its userinfo, for single and
multi-source apps alike. Values that are not URLs with userinfo are kept as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gitops.source.repo_url import strip_userinfo

Obj = dict[str, Any]


def _clean_source(source: Any) -> Any:
    if isinstance(source, dict) and isinstance(source.get("repoURL"), str):
        return {**source, "repoURL": strip_userinfo(source["repoURL"])[0]}
    return source


def _clean_sources(holder: Any) -> None:
    """Strip `source` and every `sources[]` entry of a dict in place."""
    if not isinstance(holder, dict):
        return
    if "source" in holder:
        holder["source"] = _clean_source(holder["source"])
    if isinstance(holder.get("sources"), list):
        holder["sources"] = [_clean_source(s) for s in holder["sources"]]


def redact_operation(operation: Mapping[str, Any] | None) -> Obj:
    """A copy of an `operation` (or `operationState.operation`) without userinfo in its sources."""
    cleaned: Obj = copy.deepcopy(dict(operation or {}))
    _clean_sources(cleaned.get("sync"))
    return cleaned


def redact_status(status: Mapping[str, Any]) -> Obj:
    """A copy of an Application status without userinfo in the sources of its operationState
    (operation and syncResult) and of its history entries (only those parts are copied: the rest,
    e.g. `resources`, is shared with `status`)."""
    cleaned: Obj = dict(status)
    state = cleaned.get("operationState")
    if isinstance(state, dict):
        state = cleaned["operationState"] = dict(state)
        if isinstance(state.get("operation"), dict):
            state["operation"] = redact_operation(state["operation"])
        if isinstance(state.get("syncResult"), dict):
            state["syncResult"] = dict(state["syncResult"])
            _clean_sources(state["syncResult"])
    if isinstance(cleaned.get("history"), list):
        cleaned["history"] = [dict(e) if isinstance(e, dict) else e for e in cleaned["history"]]
        for entry in cleaned["history"]:
            _clean_sources(entry)
    return cleaned
