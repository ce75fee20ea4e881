# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 8: a render exceeding its time or memory limit is killed and reported; the worker carries on."""

from __future__ import annotations

from typing import Any

import pytest

from .stack import EngineStack, configmap, wait_for

pytestmark = pytest.mark.slow
SLOW_JSONNET = """
local spin(n) = std.foldl(function(acc, i) acc + (i % 7), std.range(0, n), 0);
{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never' }, data: { v: std.toString(spin(400000000)) } }
"""


@pytest.mark.reliability(
    case="F8 render over its time limit killed and reported",
    done="an app whose Jsonnet spins for minutes, render timeout 2 s (memory cap off, so only time can stop "
    "it), beside a good app on the same worker "
    "(concurrency 1, so the good app's refresh comes after the killed render)",
    checked="the slow app gets a ComparisonError saying the render timed out and was killed, nothing applied; "
    "the same worker process then syncs the good app (Synced+Healthy)",
)
def test_render_time_limit(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("renders")
    repo.commit({"slow/main.jsonnet": SLOW_JSONNET, "good/cm.yaml": configmap("good", "v1")})
    # the spin also allocates: with the default 1 GiB cap an idle host can hit memory before time
    stack.env |= {"BOSUN_RENDER_TIMEOUT_SECONDS": "2", "BOSUN_RENDER_MEMORY_BYTES": "0"}
    stack.application("slow", git_server.url("renders"), "slow", "slow-ns")
    stack.application("good", git_server.url("renders"), "good", "good-ns")
    worker = stack.engine_worker("w1", concurrency=1)
    stack.refresh("slow")
    stack.refresh("good")
    message = wait_for(
        lambda: next((c["message"] for c in stack.conditions("slow") if c["type"] == "ComparisonError"), ""),
        90, f"slow app error\n{worker.text()[-2000:]}",
    )  # fmt: skip
    assert "timed out" in message and "killed" in message, message
    assert "main.jsonnet" in message or "slow" in message
    wait_for(lambda: stack.synced_healthy("good"), 90, "good app synced by the same worker")
    assert stack.namespace_objects("slow-ns") == []
    assert worker.proc.poll() is None


HUGE_JSONNET = """
local big = std.makeArray(50000000, function(i) { n: i, s: 'padding-' + i });
{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { v: std.toString(std.length(big)) } }
"""


@pytest.mark.reliability(
    case="F8b render over its memory limit killed and reported",
    done="an app whose Jsonnet builds a 50-million-element array, BOSUN_RENDER_MEMORY_BYTES 256 MiB, "
    "beside a good app on the same worker (concurrency 1)",
    checked="the huge app gets a ComparisonError naming the app and jsonnet, saying it exceeded the memory "
    "limit of 256 MiB and to raise BOSUN_RENDER_MEMORY_BYTES, nothing applied; the same worker process "
    "then syncs the good app (Synced+Healthy)",
)
def test_render_memory_limit(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("renders")
    repo.commit({"huge/main.jsonnet": HUGE_JSONNET, "good/cm.yaml": configmap("good", "v1")})
    stack.env |= {"BOSUN_RENDER_MEMORY_BYTES": str(256 * 1024 * 1024)}
    stack.application("huge", git_server.url("renders"), "huge", "huge-ns")
    stack.application("good", git_server.url("renders"), "good", "good-ns")
    worker = stack.engine_worker("w1", concurrency=1)
    stack.refresh("huge")
    stack.refresh("good")
    message = wait_for(
        lambda: next((c["message"] for c in stack.conditions("huge") if c["type"] == "ComparisonError"), ""),
        90, f"huge app error\n{worker.text()[-2000:]}",
    )  # fmt: skip
    assert "jsonnet exceeded the memory limit of 256 MiB" in message, message
    assert "'huge'" in message and "BOSUN_RENDER_MEMORY_BYTES" in message, message
    wait_for(lambda: stack.synced_healthy("good"), 90, "good app synced by the same worker")
    assert stack.namespace_objects("huge-ns") == []
    assert worker.proc.poll() is None
