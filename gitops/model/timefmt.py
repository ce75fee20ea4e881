"""Timestamps as Kubernetes writes them: RFC 3339 in UTC with a `Z`, whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def to_rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)
