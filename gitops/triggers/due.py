"""When is an app due a periodic refresh? Deterministic slots, so any number of beats agree.

Each app gets a period `interval + jitter(app)` (jitter: a stable hash of the name in
[0, max_jitter]) and a phase (stable hash in [0, period)), so apps spread evenly over time instead of
all refreshing together. Slot n of an app starts at `phase + n * period`; a tick enqueues every app
whose current slot it has not seen, and the Redis claim on (app, slot) makes two beats enqueue once.
An app may override the interval with the annotation `bosun.dev/refresh-interval` (seconds, or a
duration like `30s`, `5m`, `1h`; `0` or `never` disables periodic refresh).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

INTERVAL_ANNOTATION = "bosun.dev/refresh-interval"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _stable_fraction(app: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{app}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / float(1 << 64)


def parse_interval(text: str) -> float | None:
    """Seconds from `120`, `30s`, `5m`, `1h`; 0 for `0`/`never`; None when unreadable."""
    if text.strip().lower() in ("never", "0", "off"):
        return 0.0
    match = _DURATION.match(text)
    if match is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2)]


def app_interval(app: Mapping[str, Any], default_interval: float) -> float:
    """The app's refresh interval: its annotation when readable, else the default."""
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(INTERVAL_ANNOTATION)
    if raw is None:
        return default_interval
    parsed = parse_interval(str(raw))
    return default_interval if parsed is None else parsed


def app_period(name: str, interval: float, max_jitter: float) -> float:
    """Interval plus this app's stable jitter in [0, max_jitter]."""
    return interval + _stable_fraction(name, "jitter") * max_jitter


def current_slot(name: str, now: float, interval: float, max_jitter: float) -> int | None:
    """Index of the app's refresh slot containing `now` (None when periodic refresh is off)."""
    if interval <= 0:
        return None
    period = app_period(name, interval, max_jitter)
    phase = _stable_fraction(name, "phase") * period
    return int((now - phase) // period)


def slot_start(name: str, slot: int, interval: float, max_jitter: float) -> float:
    """Epoch second at which the slot begins."""
    period = app_period(name, interval, max_jitter)
    return _stable_fraction(name, "phase") * period + slot * period
