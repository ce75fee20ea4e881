"""Source counters across processes: a real engine worker deploys an app from a git repo on loopback,
pushes its in-process counters into the Redis Stats hash, and the API server's /metrics exports
`bosun_git_requests_total{type}`, `bosun_renders_total{tool}` and `bosun_manifest_cache_total{result}`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from gitops.coordination import RefreshRequests
from gitops.settings import Settings
from workers.enqueue import request_refresh

from .servers import api_server
from .test_engine_flow import TOOLS, configmap, live_version, web_app
from .test_workers import Stack, wait_until
from .workers_proc import start_worker

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    built.env |= {
        "BOSUN_GIT_CACHE_DIR": str(tmp_path / "git-cache"),
        "BOSUN_MANIFEST_CACHE_HMAC_KEY": "source-metrics-hmac-key-0123456789",
        "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"),
        "BOSUN_HELM_PATH": str(TOOLS / "helm"),
        "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.5",
    }
    yield built
    built.stop()


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_worker_source_counters_reach_the_api_metrics(
    stack: Stack, git_server: Any, rclient: redis.Redis, tmp_path: Path
) -> None:
    repo = git_server.create_repo("guestbook")
    repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    web_app(stack, git_server.url("guestbook"))
    stack.processes.append(
        start_worker(stack.env, tmp_path / "worker.log", "engine", app="workers.celery_app")
    )
    request_refresh(stack.celery, RefreshRequests(rclient, stack.keys, 300), "web")
    api = stack.kubesim.api_client()
    wait_until(lambda: live_version(api) == "v1", timeout=90, what="v1 deployed")

    with api_server(stack.settings, stack.registry) as url:

        def exported() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            values = samples(url)
            wanted = [("bosun_git_requests_total", (("type", "ls-remote"),)),
                      ("bosun_git_requests_total", (("type", "fetch"),)),
                      ("bosun_renders_total", (("tool", "Directory"),)),
                      ("bosun_manifest_cache_total", (("result", "hit"),))]  # fmt: skip
            return values if all(values.get(key, 0) >= 1 for key in wanted) else {}

        values = wait_until(exported, timeout=30, what="source counters on /metrics")
    assert values[("bosun_renders_total", (("tool", "Directory"),))] == 1  # rendered once, then cached
