"""Sync windows: which apply, when they are active (cron in a time zone, duration), the decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitops.projects import AppProject, sync_allowed, window_active, window_applies
from gitops.projects.model import SyncWindow


def window(
    kind: str = "deny", schedule: str = "0 22 * * *", duration: str = "2h", **extra: Any
) -> dict[str, Any]:
    return {"kind": kind, "schedule": schedule, "duration": duration, "applications": ["*"], **extra}


def project(*windows: dict[str, Any]) -> AppProject:
    return AppProject.from_resource({"metadata": {"name": "team"}, "spec": {"syncWindows": list(windows)}})


APP = {
    "metadata": {"name": "web"},
    "spec": {"destination": {"server": "https://prod.example.com", "namespace": "shop"}},
}


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def test_active_by_schedule_and_duration() -> None:
    w = project(window()).sync_windows[0]
    assert window_active(w, at(22, 0))
    assert window_active(w, at(23, 59))
    assert not window_active(w, at(0, 0, day=3))  # 22:00 + 2h ends at midnight
    assert not window_active(w, at(21, 59))


def test_last_second_of_a_minute_and_just_before_a_firing() -> None:
    every_minute = project(window(schedule="* * * * *", duration="1h")).sync_windows[0]
    assert window_active(every_minute, datetime(2026, 6, 2, 7, 52, 59, 600000, tzinfo=UTC))
    noon = project(window(schedule="0 12 * * *", duration="1m")).sync_windows[0]
    assert not window_active(noon, datetime(2026, 6, 2, 11, 59, 59, 900000, tzinfo=UTC))
    assert window_active(noon, datetime(2026, 6, 2, 12, 0, 0, tzinfo=UTC))
    assert window_active(noon, datetime(2026, 6, 2, 12, 0, 59, 999000, tzinfo=UTC))
    assert not window_active(noon, datetime(2026, 6, 2, 12, 1, 0, tzinfo=UTC))


def test_time_zone_shifts_the_schedule() -> None:
    berlin = project(window(timeZone="Europe/Berlin")).sync_windows[0]
    assert window_active(berlin, at(20, 30))  # 22:30 in Berlin (CEST, UTC+2)
    assert not window_active(berlin, at(22, 30))  # 00:30 in Berlin: over
    winter = datetime(2026, 1, 10, 21, 30, tzinfo=UTC)  # 22:30 CET (UTC+1)
    assert window_active(berlin, winter)


def test_window_spanning_days_and_weekday_schedule() -> None:
    weekend = project(window(schedule="0 0 * * 6", duration="48h")).sync_windows[0]
    assert window_active(weekend, datetime(2026, 6, 7, 23, 0, tzinfo=UTC))  # Sunday night
    assert not window_active(weekend, datetime(2026, 6, 8, 0, 30, tzinfo=UTC))  # Monday


def test_which_apps_a_window_concerns() -> None:
    def w(**lists: Any) -> SyncWindow:
        raw = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", **lists}
        return project(raw).sync_windows[0]

    assert window_applies(w(applications=["we*"]), APP)
    assert window_applies(w(namespaces=["shop"]), APP)
    assert window_applies(w(clusters=["https://prod.*"]), APP)
    assert window_applies(w(clusters=["prod"]), APP, cluster_name="prod")
    assert not window_applies(w(applications=["api"]), APP)
    assert not window_applies(w(), APP)
    assert not window_applies(w(applications=["web"], namespaces=["other"], andOperator=True), APP)
    assert window_applies(w(applications=["web"], namespaces=["other"]), APP)


def test_deny_blocks_automated_and_manual_unless_manual_sync() -> None:
    deny = project(window())
    assert sync_allowed(deny, APP, at(23), manual=False)[0] is False
    allowed, reason = sync_allowed(deny, APP, at(23), manual=True)
    assert not allowed and "deny window '0 22 * * *'" in reason
    manual_ok = project(window(manualSync=True))
    assert sync_allowed(manual_ok, APP, at(23), manual=True)[0] is True
    assert sync_allowed(manual_ok, APP, at(23), manual=False)[0] is False
    assert sync_allowed(manual_ok, APP, at(12), manual=False)[0] is True


def test_allow_windows_and_deny_beats_allow() -> None:
    allow = project(window("allow", "0 9 * * *", "8h"))
    assert sync_allowed(allow, APP, at(10), manual=False)[0] is True
    allowed, reason = sync_allowed(allow, APP, at(20), manual=False)
    assert not allowed and "outside every allow window" in reason
    assert sync_allowed(allow, APP, at(20), manual=True)[0] is False
    assert sync_allowed(
        project(window("allow", "0 9 * * *", "8h", manualSync=True)), APP, at(20), manual=True
    )[0]
    both = project(window("allow", "0 9 * * *", "8h"), window("deny", "0 12 * * *", "1h"))
    assert sync_allowed(both, APP, at(12, 30), manual=False)[0] is False
    assert sync_allowed(both, APP, at(13, 30), manual=False)[0] is True
    assert sync_allowed(project(), APP, at(3), manual=False) == (True, "no sync window applies")
