"""Smoke runs of the end-to-end benchmark scenarios at a tiny size on the real stack (redis-server,
kubesim, git daemon, API server, beat, worker processes): each prints one JSON object with its
figures. Speed is never asserted here; bench/README.md holds the measurements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

CPU_KINDS = {"redis", "kubesim", "git", "api", "workers"}


def bench(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench", *args, "--json"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    figures: dict[str, Any] = json.loads(lines[0])
    return figures


def assert_cpu(cpu: dict[str, float]) -> None:
    assert set(cpu) >= CPU_KINDS, cpu
    assert all(isinstance(v, float | int) and v >= 0 for v in cpu.values())
    assert cpu["workers"] > 0


def test_initial_sync_reports_time_rate_and_cpu() -> None:
    figures = bench("initial-sync", "--apps", "3", "--workers", "1", "--timeout", "60")
    assert figures["scenario"] == "initial-sync" and figures["apps"] == 3
    assert figures["seconds_to_all_synced_healthy"] > 0 and figures["apps_per_second"] > 0
    assert figures["renders"] == 3  # one ConfigMap path per app, rendered once each
    assert_cpu(figures["cpu_seconds"])


def test_flux_shape_syncs_four_object_apps() -> None:
    figures = bench("flux-shape", "--apps", "2", "--workers", "1", "--timeout", "60")
    assert figures["objects_per_app"] == 4 and figures["seconds_to_all_synced_healthy"] > 0
    assert_cpu(figures["cpu_seconds"])


def test_steady_refresh_counts_git_and_renders_per_cycle() -> None:
    figures = bench("steady-refresh", "--apps", "3", "--workers", "1", "--cycles", "1", "--timeout", "60")
    assert figures["cycle_seconds"] > 0 and figures["refreshes_per_second"] > 0
    assert len(figures["renders_per_cycle"]) == 1 and len(figures["ls_remote_calls_per_cycle"]) == 1
    assert figures["redis_commands_per_refresh"] > 0
    assert_cpu(figures["cpu_seconds"])


def test_webhook_latency_percentiles() -> None:
    figures = bench("webhook-latency", "--apps", "3", "--samples", "2", "--workers", "1", "--timeout", "60")
    assert figures["samples"] == 2
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert_cpu(figures["cpu_seconds"])


def test_scale_out_ratio_per_worker_count() -> None:
    figures = bench("scale-out", "--apps", "3", "--counts", "1,2", "--timeout", "60")
    assert set(figures["refreshes_per_second"]) == {"1", "2"}
    assert figures["ratio_to_first"]["1"] == 1.0
    assert set(figures["redis_commands_per_refresh"]) == {"1", "2"}


def test_memory_per_worker_and_per_app() -> None:
    figures = bench("memory", "--apps", "3", "--workers", "1", "--timeout", "60")
    assert figures["worker_process_rss_mb_max"] > 10
    assert figures["redis_bytes_per_app"] > 0 and figures["redis_keys"] > 0


def test_monorepo_counts_what_one_commit_causes() -> None:
    figures = bench("monorepo", "--apps", "3", "--workers", "1", "--settle", "1", "--timeout", "60")
    assert figures["renders_caused_by_commit"] >= 1
    assert figures["syncs_caused_by_commit"] >= 1
    assert figures["apps_with_status_writes"] >= 1
