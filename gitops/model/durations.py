"""Go-style durations as Argo CD writes them (`5s`, `3m`, `1h30m`, `500ms`), parsed to seconds."""

from __future__ import annotations

import re

from gitops.errors import SpecError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | int | float, *, where: str) -> float:
    """Seconds in a Go duration string; a bare number means seconds. Raises SpecError when invalid."""
    if isinstance(text, bool):
        raise SpecError(f"duration {text!r} is not valid", target=where, hint="write it like 5s, 3m or 1h")
    if isinstance(text, int | float):
        if text < 0:
            raise SpecError(f"duration {text!r} is negative", target=where, hint="use a positive duration")
        return float(text)
    raw = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    pos = 0
    total = 0.0
    for match in _PART.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if pos != len(raw) or not raw:
        raise SpecError(f"duration {text!r} is not valid", target=where, hint="write it like 5s, 3m or 1h")
    return total


def format_duration(seconds: float) -> str:
    """Seconds back into Argo's short form (`5s`, `3m0s`)."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{secs}s"
