"""DueSchedule (workers/tick_due.py) against the tick it replaces: at every tick of a simulated timeline
(irregular ticks, apps added, deleted, re-annotated), the (app, slot) pairs it lets the tick claim are
exactly those a full scan of every app would claim (pure: the Redis claim is a set here)."""

from __future__ import annotations

import random

from gitops.triggers.due import current_slot, parse_interval
from workers.app_cache import AppView
from workers.tick_due import DueSchedule

DEFAULT, JITTER = 120.0, 60.0


def full_scan(views: dict[str, AppView], now: float, claims: set[tuple[str, int]]) -> set[str]:
    """The tick before the index: every app, every tick, claim its current slot (SET NX)."""
    queued = set()
    for name, view in views.items():
        if view.refresh is not None:
            continue
        parsed = None if view.interval is None else parse_interval(view.interval)
        slot = current_slot(name, now, DEFAULT if parsed is None else parsed, JITTER)
        if slot is not None and (name, slot) not in claims:
            claims.add((name, slot))
            queued.add(name)
    return queued


def from_schedule(schedule: DueSchedule, now: float, claims: set[tuple[str, int]]) -> set[str]:
    queued = set()
    for due in schedule.due(now):
        assert due.ttl > 0
        if (due.app, due.slot) not in claims:
            claims.add((due.app, due.slot))
            queued.add(due.app)
    return queued


def view(name: str, interval: str | None = None, refresh: str | None = None) -> AppView:
    return AppView(name, interval, refresh, operation=False, finalizing=False)


def test_schedule_claims_what_a_full_scan_claims() -> None:
    rng = random.Random(8)
    views = {
        f"app-{n}": view(f"app-{n}", rng.choice([None, None, "30s", "never", "bad", "45"]))
        for n in range(300)
    }
    schedule = DueSchedule(DEFAULT, JITTER)
    schedule.reset(views)
    scan_claims: set[tuple[str, int]] = set()
    schedule_claims: set[tuple[str, int]] = set()
    now, total = 1_800_000_000.0, 0
    for step in range(600):
        now += rng.choice([0.3, 1.0, 1.0, 5.0, 17.0])
        if step % 7 == 0:  # the watch brings changes
            changes: dict[str, AppView | None] = {}
            for _ in range(5):
                name = f"app-{rng.randrange(330)}"
                roll = rng.random()
                if roll < 0.2:
                    changes[name] = None
                    views.pop(name, None)
                else:
                    interval = rng.choice([None, "10s", "never", "2m"])
                    refresh = rng.choice([None, None, "hard"]) if roll < 0.8 else None
                    changes[name] = views[name] = view(name, interval, refresh)
            schedule.apply(changes)
        expected = full_scan(views, now, scan_claims)
        assert from_schedule(schedule, now, schedule_claims) == expected, (step, now)
        total += len(expected)
    assert total > 2000  # the timeline did enqueue plenty of slots
    assert set(schedule.views) == set(views)


def test_sets_the_tick_acts_on_every_tick() -> None:
    schedule = DueSchedule(DEFAULT, JITTER)
    schedule.reset({
        "syncing": AppView("syncing", None, None, operation=True, finalizing=False),
        "deleting": AppView("deleting", None, None, operation=False, finalizing=True),
        "asked": view("asked", refresh="hard"),
    })  # fmt: skip
    assert schedule.operating == {"syncing"} and schedule.finalizing == {"deleting"}
    assert schedule.annotated == {"asked": "hard"}
    assert {d.app for d in schedule.due(1_800_000_000.0)} == {"syncing", "deleting"}  # asked: annotation
    schedule.apply({"syncing": view("syncing"), "asked": view("asked")})
    assert schedule.operating == set() and schedule.annotated == {}
    assert {d.app for d in schedule.due(1_800_000_000.5)} == {"asked"}  # its slot, now the annotation is gone
    schedule.reset({"asked": view("asked")})  # a LIST without the others: they are gone
    assert set(schedule.views) == {"asked"} and schedule.finalizing == set()
