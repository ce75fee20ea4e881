"""Fast drift detection with real processes: `bosun beat --watch` (or `bosun watch`) WATCHes the objects an app tracks in
kubesim and enqueues a refresh when one is changed by hand; the self-heal revert then comes within
seconds although the periodic refresh interval is 300 s (only the watch can explain it)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kubernetes import client as kclient

from gitops.coordination import EventLog, RefreshRequests
from gitops.settings import Settings
from workers.enqueue import request_refresh

from .test_engine_flow import TOOLS, configmap, live_version, web_app
from .test_workers import Stack, wait_until
from .workers_proc import REPO, CeleryProcess, start_worker

pytestmark = pytest.mark.slow


class BosunProcess(CeleryProcess):
    """A `bosun ...` CLI subprocess (`bosun beat --watch` or `bosun watch`) with its log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bosun.cli", *args],
            env=env, cwd=REPO, stdout=self._file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


@pytest.fixture
def stack(kubesim_server: Any, settings: Settings, redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    built = Stack(kubesim_server, settings, redis_server.url, tmp_path)
    built.env |= {
        "BOSUN_GIT_CACHE_DIR": str(tmp_path / "git-cache"),
        "BOSUN_MANIFEST_CACHE_HMAC_KEY": "drift-watch-hmac-key-0123456789",
        "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"),
        "BOSUN_HELM_PATH": str(TOOLS / "helm"),
        "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.5",
        "BOSUN_REFRESH_INTERVAL_SECONDS": "300",
        "BOSUN_REFRESH_JITTER_SECONDS": "0",
        "BOSUN_TICK_SECONDS": "1",
    }
    yield built
    built.stop()


@pytest.mark.parametrize("command", ["beat --watch", "watch"])
def test_watch_makes_self_heal_revert_a_hand_edit_fast(
    command: str, stack: Stack, git_server: Any, rclient: redis.Redis, tmp_path: Path
) -> None:
    repo = git_server.create_repo("guestbook")
    repo.commit({"apps/web/configmap.yaml": configmap("v1")}, "v1")
    web_app(stack, git_server.url("guestbook"), selfHeal=True)
    stack.registry.patch("web", {"metadata": {"annotations": {"bosun.dev/refresh-interval": "300s"}}})
    stack.processes.append(
        start_worker(stack.env, tmp_path / "worker.log", "engine", app="workers.celery_app")
    )
    args = command.split() + (
        ["--schedule-file", str(tmp_path / "schedule")] if command.startswith("beat") else []
    )
    beat = BosunProcess(args, stack.env, tmp_path / "watcher.log")
    stack.processes.append(beat)
    request_refresh(stack.celery, RefreshRequests(rclient, stack.keys, 300), "web")
    api = stack.kubesim.api_client()
    wait_until(lambda: live_version(api) == "v1", timeout=90, what="v1 deployed by the first refresh")
    beat.wait_for("watching v1/ConfigMap in cluster in-cluster", timeout=30)
    refreshes = RefreshRequests(rclient, stack.keys, 300)

    def settled() -> bool:  # synced, and the refresh after the sync (or one the watch asked for) done
        status = (stack.registry.application("web") or {}).get("status") or {}
        return (status.get("sync") or {}).get("status") == "Synced" and refreshes.pending("web") is None

    wait_until(settled, timeout=60, what="no refresh pending")
    time.sleep(1.0)
    assert refreshes.pending("web") is None

    kclient.CoreV1Api(api).patch_namespaced_config_map(
        "web-config", "web", {"data": {"version": "hand-edited"}}
    )
    edited = time.monotonic()
    wait_until(lambda: live_version(api) == "v1", timeout=60, what="self-heal reverting the hand edit")
    assert time.monotonic() - edited < 60  # the periodic refresh is 300 s away
    drift = [e for e in EventLog(rclient, stack.keys).recent("web", count=200) if e.kind == "drift"]
    assert any("ConfigMap web/web-config modified: refresh requested" in e.message for e in drift), drift
