"""Fixtures of the CLI tests: one stack per test module (redis-server, kubesim with CRDs, `bosun server`
and a `bosun worker`), shared by the module's tests; each test uses its own application names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from controlplane.conftest import (
    RedisServer,
    redis_server,  # noqa: F401  (the private redis-server fixture)
)
from controlplane.kube import install_crds

from gitops.registry import ApplicationRegistry
from kubesim.testing import start_thread

from .stack import CliStack


@pytest.fixture(scope="module")
def stack(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStack]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("cli-stack")
    kubesim = start_thread(tmp / "kubesim")
    built: CliStack | None = None
    try:
        install_crds(kubesim.kubeconfig)
        built = CliStack(redis_server.url, f"cli{uuid.uuid4().hex[:8]}", kubesim.kubeconfig, tmp)
        built.registry = ApplicationRegistry(kubesim.api_client(), "bosun")
        built.server()
        built.worker("cli-w1")
        yield built
    finally:
        if built is not None:
            built.stop()
        kubesim.stop()
