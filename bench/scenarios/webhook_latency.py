"""`python -m bench webhook-latency [--apps N] [--samples S]`: N synced, idle apps (default 1,000);
S times (default 100) commit a change to one app's ConfigMap, post the signed GitHub push webhook, and
time from the POST to the new ConfigMap being live in kubesim (polled every 2 ms with the official
client). Aim: p50 under 150 ms, p99 under 500 ms. `stage_p50_ms`: when the app's event stream
recorded the fan-out match, the refresh, the automated sync's start and its first step (p50 offsets
from the POST), to show where the time goes (read up to 2 s after the change is live: the refresh
runs the first sync step before recording its events)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from kubernetes import client as k8s

from bench.scenarios.fleet import add_common, mean, percentile, running_stack, synced_fleet
from bench.scenarios.webhooks import post_push, push_change
from bench.stack import cpu_window
from gitops.coordination import EventLog

# first event of each kind after the POST: fan-out matched, refresh written, sync started, step done
STAGES = ("webhook", "refreshed", "auto-sync", "sync-step")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=1_000)
    parser.add_argument("--samples", type=int, default=100, help="webhooks to time")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        fleet = synced_fleet(stack, args.apps, args.timeout)
        core = k8s.CoreV1Api(fleet.api_client)
        latencies, answers = [], []
        events = EventLog(stack.redis_text, fleet.keys)
        stages: list[dict[str, float]] = [{} for _ in range(args.samples)]
        with cpu_window(stack) as cpu, httpx.Client() as http:
            for k in range(args.samples):
                i = (k * 7919) % args.apps
                version = f"v{k + 2}"
                before, after, path = push_change(fleet, i, version)
                wall_start, started = time.time(), time.perf_counter()
                code, answered = post_push(http, fleet, before, after, path)
                if code != 200:
                    raise RuntimeError(f"webhook answered {code}; see {stack.workdir}/api-0.log")
                answers.append(answered)
                while True:
                    live = core.read_namespaced_config_map(f"cm-{i:05d}", "bench")
                    if (live.data or {}).get("version") == version:
                        break
                    if time.perf_counter() - started > 60:
                        raise TimeoutError(f"app {i}: version {version} not live 60 s after the webhook\n"
                                           f"{stack.logs_tail('workers')}")  # fmt: skip
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - started)
                # the refresh runs the operation's first step itself, so its events are recorded just
                # after the change is live: give them a moment (not part of the latency)
                settle = time.perf_counter() + 2.0
                while time.perf_counter() < settle:
                    recent = [e for e in events.recent(fleet.names[i], 20) if e.at >= wall_start]
                    if {"refreshed", "auto-sync"} <= {e.kind for e in recent}:
                        break
                    time.sleep(0.01)
                for event in reversed(recent):
                    if event.kind in STAGES and event.kind not in stages[k]:
                        stages[k][event.kind] = (event.at - wall_start) * 1000
        ms = [s * 1000 for s in latencies]
        return {
            "scenario": "webhook-latency",
            "apps": args.apps,
            "samples": args.samples,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1),
            "mean_ms": round(mean(ms), 1),
            "webhook_answer_p50_ms": round(percentile([a * 1000 for a in answers], 50), 1),
            "stage_p50_ms": {
                kind: round(percentile([s[kind] for s in stages if kind in s], 50), 1) for kind in STAGES
            },
            "aim_p50_ms": 150,
            "aim_p99_ms": 500,
            "cpu_seconds": cpu,
        }
