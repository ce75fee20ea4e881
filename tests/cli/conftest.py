"""Fixtures of the CLI tests: one stack per test module (redis-server, kubesim with CRDs, `bosun server`
and a `bosun worker`), shared by the module's tests; each test uses its own application names.
`stack` runs the probe Reconciler; test_engine_cli builds its own with the real engine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from controlplane.conftest import (
    RedisServer,
    redis_server,  # noqa: F401  (the private redis-server fixture)
)
from controlplane.kube import install_crds

from gitops.registry import ApplicationRegistry
from kubesim.testing import KubesimServer, start_thread

from .stack import CliStack


@contextmanager
def running_stack(redis: RedisServer, tmp: Path, probe: bool) -> Iterator[tuple[CliStack, KubesimServer]]:
    kubesim = start_thread(tmp / "kubesim")
    built: CliStack | None = None
    try:
        install_crds(kubesim.kubeconfig)
        built = CliStack(redis.url, f"cli{uuid.uuid4().hex[:8]}", kubesim.kubeconfig, tmp)
        built.registry = ApplicationRegistry(kubesim.api_client(), "bosun")
        built.server()
        built.worker("cli-w1", probe=probe)
        yield built, kubesim
    finally:
        if built is not None:
            built.stop()
        kubesim.stop()


@pytest.fixture(scope="module")
def stack(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStack]:  # noqa: F811
    with running_stack(redis_server, tmp_path_factory.mktemp("cli-stack"), probe=True) as (built, _kubesim):
        yield built
