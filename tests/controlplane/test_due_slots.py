"""Periodic refresh slots: spread, stable across processes, interval override (pure)."""

from __future__ import annotations

import pytest

from gitops.triggers.due import app_interval, app_period, current_slot, parse_interval, slot_start


def test_period_is_interval_plus_bounded_stable_jitter() -> None:
    periods = [app_period(f"app-{n}", 120, 60) for n in range(500)]
    assert all(120 <= p <= 180 for p in periods)
    assert max(periods) - min(periods) > 50  # jitter actually spreads apps
    assert app_period("guestbook", 120, 60) == app_period("guestbook", 120, 60)


def test_each_app_gets_one_new_slot_per_period() -> None:
    name = "guestbook"
    period = app_period(name, 120, 60)
    start = 1_800_000_000.0
    slots = {current_slot(name, start + t, 120, 60) for t in range(0, int(period * 10))}
    assert len(slots) in (10, 11)
    slot = current_slot(name, start, 120, 60)
    assert slot is not None
    assert slot_start(name, slot, 120, 60) <= start < slot_start(name, slot + 1, 120, 60)


def test_slots_of_many_apps_are_spread_over_time() -> None:
    start = 1_800_000_000.0
    due_per_second = {}
    for n in range(1000):
        name = f"app-{n}"
        slot = current_slot(name, start, 120, 60)
        assert slot is not None
        due_per_second.setdefault(int(slot_start(name, slot + 1, 120, 60) - start) // 10, 0)
        due_per_second[int(slot_start(name, slot + 1, 120, 60) - start) // 10] += 1
    assert max(due_per_second.values()) < 200  # no thundering herd in any 10 s window


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1.5m", 90.0), ("500ms", 0.5),
     ("never", 0.0), ("0", 0.0), ("soon", None), ("-5", None)],
)  # fmt: skip
def test_parse_interval(text: str, seconds: float | None) -> None:
    assert parse_interval(text) == seconds


def test_interval_annotation_overrides_and_bad_value_falls_back() -> None:
    def with_annotation(value: str) -> dict[str, object]:
        return {"metadata": {"annotations": {"bosun.dev/refresh-interval": value}}}

    assert app_interval(with_annotation("10m"), 120) == 600
    assert app_interval(with_annotation("garbage"), 120) == 120
    assert app_interval({"metadata": {}}, 120) == 120
    assert current_slot("x", 1e9, app_interval(with_annotation("never"), 120), 60) is None
