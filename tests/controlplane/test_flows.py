"""Trigger-to-status flows across real processes: webhook -> API -> fan-out -> refresh; beat ticks
(two beats, no duplicate work); Redis loss (status rebuilt from the Application resources)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from gitops.coordination import RefreshRequests
from gitops.registry import durable_fence
from gitops.settings import Settings
from gitops.triggers.due import current_slot, slot_start
from workers.enqueue import request_refresh

from .servers import api_server
from .test_workers import Stack, wait_until
from .webhook_requests import body_of, signed_headers
from .workers_proc import start_beat

pytestmark = pytest.mark.slow
SECRET = "flow-secret-1b9"


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    yield built
    built.stop()


def calls(stack: Stack, client: redis.Redis, app: str) -> int:
    return stack.probe(client, "calls", "refresh", app)


def test_signed_github_push_refreshes_only_matching_apps(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("web", **{"argocd.argoproj.io/manifest-generate-paths": "/apps/web"})
    stack.app("docs-only", **{"argocd.argoproj.io/manifest-generate-paths": "/docs"})
    stack.app("other-repo")
    for name in ("web", "docs-only"):
        stack.registry.patch(name, {"spec": {"source": {"repoURL": "git@github.com:acme/guestbook.git"}}})
    stack.worker("w1")
    settings = stack.settings.model_copy(update={"webhook_github_secret": SecretStr(SECRET)})
    with api_server(settings, stack.registry) as url:
        body = body_of("github-push-main.json")
        started = time.perf_counter()
        response = httpx.post(
            f"{url}/api/webhook", headers=signed_headers("github", SECRET, body), content=body
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert elapsed < 5  # informational bound only; latency is measured in bench/
    wait_until(lambda: calls(stack, rclient, "web") == 1, what="web refreshed by the webhook")
    time.sleep(1.0)
    assert calls(stack, rclient, "docs-only") == 0
    assert calls(stack, rclient, "other-repo") == 0
    wait_until(lambda: {"webhook", "refreshed"} <= {e.kind for e in stack_events(stack, rclient, "web")},
               what="webhook and refreshed events")  # fmt: skip


def stack_events(stack: Stack, client: redis.Redis, app: str) -> list[Any]:
    from gitops.coordination import EventLog

    return EventLog(client, stack.keys).recent(app)


def next_slot_in(name: str, now: float) -> float:
    slot = current_slot(name, now, 120, 0)
    assert slot is not None
    return slot_start(name, slot + 1, 120, 0) - now


def test_two_beats_refresh_each_app_once_per_slot(stack: Stack, rclient: redis.Redis, tmp_path: Path) -> None:
    # Apps whose current 120 s slot does not end during the test, so exactly one refresh is right.
    now = time.time()
    names = [n for n in (f"app-{i}" for i in range(200)) if next_slot_in(n, now) > 60][:5]
    for name in names:
        stack.app(name)
    stack.app("fast", **{"bosun.dev/refresh-interval": "2s"})
    stack.env["BOSUN_TICK_SECONDS"] = "0.3"
    stack.env["BOSUN_REFRESH_JITTER_SECONDS"] = "0"
    stack.worker("w1")
    beats = []
    for n in range(2):
        workdir = tmp_path / f"beat{n}"
        workdir.mkdir()
        beats.append(start_beat(stack.env, workdir / "beat.log", workdir))
    stack.processes.extend(beats)
    wait_until(lambda: all(calls(stack, rclient, n) >= 1 for n in names), what="first slot refreshes")
    time.sleep(4.5)  # ~15 ticks from each beat; the 120 s apps stay in their first slot
    for beat in beats:
        beat.stop()
    assert [calls(stack, rclient, n) for n in names] == [1, 1, 1, 1, 1]
    assert 2 <= calls(stack, rclient, "fast") <= 5  # a new 2 s slot every 2 s, each enqueued once
    assert "bosun.tick" in beats[0].text() or "Sending due task" in beats[0].text()


def test_refresh_annotation_is_one_shot(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("annotated", **{"argocd.argoproj.io/refresh": "hard"})
    stack.worker("w1")
    stack.celery.send_task("bosun.tick")
    wait_until(lambda: stack.probe(rclient, "calls", "hard", "annotated") == 1, what="hard refresh")
    app = wait_until(
        lambda: (
            (a := stack.registry.application("annotated"))
            and "argocd.argoproj.io/refresh" not in (a["metadata"].get("annotations") or {})
            and a
        ),
        what="annotation removed",
    )
    assert app["status"]["sync"]["status"] == "Synced"


def test_redis_loss_status_survives_and_fencing_stays_monotonic(stack: Stack, rclient: redis.Redis) -> None:
    stack.app("durable")
    stack.worker("w1")
    refreshes = RefreshRequests(rclient, stack.keys)
    for expected in (1, 2):
        request_refresh(stack.celery, refreshes, "durable")
        wait_until(lambda n=expected: calls(stack, rclient, "durable") == n, what=f"refresh {expected}")  # type: ignore[misc]
    fence_before = wait_until(
        lambda: durable_fence(stack.registry.application("durable") or {}) == 2 and 2,
        what="second status write",
    )
    # Redis loses everything Bosun had (queues, locks, fences, hot status, events).
    for key in rclient.scan_iter(f"{stack.settings.redis_prefix}:*"):
        if ":probe:" not in key:
            rclient.delete(key)
    settings = stack.settings.model_copy(update={"api_read_token": SecretStr("reader")})
    with api_server(settings, stack.registry) as url:
        got = httpx.get(
            f"{url}/api/v1/applications/durable", headers={"Authorization": "Bearer reader"}
        ).json()
    assert got["status"]["sync"]["status"] == "Synced"  # served from the Application resource
    request_refresh(stack.celery, refreshes, "durable")
    wait_until(lambda: calls(stack, rclient, "durable") == 3, what="refresh after the loss")
    fence_after = wait_until(
        lambda: (f := durable_fence(stack.registry.application("durable") or {})) > fence_before and f,
        what="new fence written",
    )
    assert fence_after == fence_before + 1
    assert rclient.hget(stack.keys.app_status("durable"), "doc") is not None  # hot status rebuilt
