"""Fixtures of the security suite: the same as the fault suite's (tests/faults/conftest.py: the
control-plane fixtures, the EngineStack `stack` fixture and the reliability-table hooks)."""

from faults.conftest import (  # noqa: F401
    keys,
    prefix,
    pytest_configure,
    pytest_runtest_makereport,
    rclient,
    redis_server,
    settings,
    stack,
)
