"""Shared helpers of the kubesim tests split by topic (controllers, validation, defaults): fixture files,
the resource registry, and small waits and views."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kubesim.defaulting import Defaulter
from kubesim.errors import ApiError
from kubesim.resources import Registry, ResourceType
from kubesim.validation import validate

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = Registry()
DELAY = 0.05


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return loaded


def rt(api_version: str, kind: str) -> ResourceType:
    found = REGISTRY.by_kind(api_version, kind)
    assert found is not None
    return found


def defaulted(
    api_version: str, kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> dict[str, Any]:
    Defaulter(seed=1).apply(rt(api_version, kind), obj, old)
    return obj


def causes(
    api_version: str, kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(field, message) of every cause, after defaulting like the server; [] when valid."""
    rt = REGISTRY.by_kind(api_version, kind)
    assert rt is not None
    Defaulter(seed=1).apply(rt, obj, old)
    try:
        validate(rt, obj, old)
    except ApiError as exc:
        assert exc.code == 422 and exc.reason == "Invalid"
        assert exc.details is not None
        return [(c["field"], c["message"]) for c in exc.details["causes"]]
    return []


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s; last value: {value}")
        time.sleep(0.02)


def conditions(status: Any) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions or []}
