"""Fixtures shared by every test package: kubesim servers (function and session scoped), xdist-safe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.testing import KubesimServer, start_thread


@pytest.fixture
def kubesim_server(tmp_path: Path) -> Iterator[KubesimServer]:
    """A fresh kubesim (in a thread of this test process) for one test."""
    server = start_thread(tmp_path / "kubesim")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kubesim_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubesimServer]:
    """One kubesim shared by a whole test session (per xdist worker); use distinct namespaces."""
    server = start_thread(tmp_path_factory.mktemp("kubesim-session"))
    yield server
    server.stop()


@pytest.fixture
def kubesim_factory(tmp_path: Path) -> Iterator[Callable[..., KubesimServer]]:
    """Start kubesims with options (token=, read_only_token=, tls=, controller_delay=, watch_window=, ...)."""
    started: list[KubesimServer] = []

    def start(**options: Any) -> KubesimServer:
        server = start_thread(tmp_path / f"kubesim-{len(started)}", **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- git servers on loopback (tests/gitserver.py): `git_server` fixture, reused by every source test ---
import sys as _sys  # noqa: E402
from collections.abc import Iterator as _Iterator  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

import pytest as _pytest  # noqa: E402

_sys.path.insert(0, str(_Path(__file__).resolve().parent))
from gitserver import GitServer  # noqa: E402


@_pytest.fixture
def git_server(tmp_path: _Path) -> _Iterator[GitServer]:
    """A git daemon and an authenticating git http-backend serving repositories made by the test."""
    server = GitServer(tmp_path / "git-server")
    try:
        yield server
    finally:
        server.stop()
