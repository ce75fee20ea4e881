"""Fixtures of the fault suite (shared with tests/security): the control-plane fixtures (private
password-protected redis-server, key prefix, settings), and the reliability-table hooks."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from controlplane.conftest import keys, prefix, rclient, redis_server, settings  # noqa: F401
from reliability_table import configure, record

from gitops.settings import Settings

from .stack import EngineStack


def pytest_configure(config: pytest.Config) -> None:
    configure(config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    record(item, outcome.get_result())


@pytest.fixture
def stack(
    kubesim_server: Any,
    settings: Settings,  # noqa: F811
    redis_server: Any,  # noqa: F811
    tmp_path: Path,
) -> Iterator[EngineStack]:
    built = EngineStack(kubesim_server, settings, redis_server.url, tmp_path)
    yield built
    built.stop()
