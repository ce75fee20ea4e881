"""Sync windows (Argo CD semantics): which of a project's windows apply to an app, which are active
now, and `sync_allowed(project, app, now, manual) -> (bool, reason)`.

A window applies when the app's name matches `applications`, its destination namespace matches
`namespaces`, or its destination server or name matches `clusters` (any of them; all non-empty lists
with `andOperator: true`). A window is active when its cron schedule, read in `timeZone`, fired less
than `duration` ago. No applicable window: allowed. An active deny wins over everything (a manual
sync passes when every active deny has `manualSync`); else an active allow permits; else, when
allow windows exist but none is active, only a manual sync of a `manualSync` allow window passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from gitops.projects.globs import any_match
from gitops.projects.model import AppProject, SyncWindow


def _destination(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return (app.get("spec") or {}).get("destination") or {}


def window_applies(
    window: SyncWindow, app: Mapping[str, Any], *, server: str = "", cluster_name: str = ""
) -> bool:
    """Whether `window` concerns `app` (server/cluster_name: the resolved destination, if known)."""
    destination = _destination(app)
    name = str((app.get("metadata") or {}).get("name") or "")
    namespace = str(destination.get("namespace") or "")
    servers = [s for s in {str(destination.get("server") or ""), server} if s]
    names = [n for n in {str(destination.get("name") or ""), cluster_name} if n]
    checks = []
    if window.applications:
        checks.append(any_match(window.applications, name))
    if window.namespaces:
        checks.append(any_match(window.namespaces, namespace))
    if window.clusters:
        checks.append(any(any_match(window.clusters, v) for v in (*servers, *names)))
    if not checks:
        return False
    return all(checks) if window.and_operator else any(checks)


def window_active(window: SyncWindow, now: datetime) -> bool:
    """True when the schedule (in the window's time zone) fired within the last `duration`."""
    local_now = now.astimezone(ZoneInfo(window.time_zone))
    # cron fires on whole minutes: the latest firing at or before now is this minute if it matches,
    # else the previous match (croniter's get_prev is strictly before its start)
    minute = local_now.replace(second=0, microsecond=0)
    if croniter.match(window.schedule, minute):
        last = minute
    else:
        last = croniter(window.schedule, minute).get_prev(datetime)
    return last <= local_now < last + timedelta(seconds=window.duration_seconds)


def applicable_windows(
    project: AppProject, app: Mapping[str, Any], *, server: str = "", cluster_name: str = ""
) -> list[SyncWindow]:
    return [
        w for w in project.sync_windows if window_applies(w, app, server=server, cluster_name=cluster_name)
    ]


def sync_allowed(
    project: AppProject,
    app: Mapping[str, Any],
    now: datetime,
    manual: bool,
    *,
    server: str = "",
    cluster_name: str = "",
) -> tuple[bool, str]:
    """Whether a sync of `app` may start at `now` (manual: started by a user), and why (not)."""
    windows = applicable_windows(project, app, server=server, cluster_name=cluster_name)
    if not windows:
        return True, "no sync window applies"
    active = [w for w in windows if window_active(w, now)]
    denies = [w for w in active if w.kind == "deny"]
    who = f"project {project.name!r}"
    if denies:
        if manual and all(w.manual_sync for w in denies):
            return True, f"manual sync allowed during {denies[0].describe()} of {who} (manualSync)"
        return False, f"sync denied by the active {denies[0].describe()} of {who}"
    if any(w.kind == "allow" for w in active):
        return True, "inside an active allow window"
    allows = [w for w in windows if w.kind == "allow"]
    if allows:
        if manual and any(w.manual_sync for w in allows):
            return True, f"manual sync allowed outside the allow windows of {who} (manualSync)"
        return False, f"outside every allow window of {who} (next: {allows[0].describe()})"
    return True, "no active window"
