"""`python -m bench initial-sync [--apps N] [--workers W]`: N apps, each one ~2 KB ConfigMap in its own
path of one repo, automated sync; the beat starts and the clock runs until every app is Synced and
Healthy. Aim: 10,000 apps in under 3 minutes."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.scenarios.fleet import (
    Fleet,
    KeyspaceCounter,
    add_common,
    redis_commands,
    running_stack,
    synced_healthy,
)
from bench.stack import cpu_window


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=10_000)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        fleet = Fleet(stack, args.apps)
        create_seconds = fleet.create_apps()
        counter = KeyspaceCounter(stack)
        commands = redis_commands(stack)
        with cpu_window(stack) as cpu:
            started = time.perf_counter()
            stack.start_beat()  # its first tick enqueues every app
            seconds = fleet.wait(synced_healthy, args.timeout, "initial sync")
        counts = counter.snapshot()
        counter.close()
        return {
            "scenario": "initial-sync",
            "apps": args.apps,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "seconds_to_all_synced_healthy": round(seconds, 2),
            "apps_per_second": round(args.apps / seconds, 1),
            "aim_seconds_for_10000": 180,
            "create_applications_seconds": round(create_seconds, 2),
            "renders": counts["renders"],
            "ls_remote_calls": counts["ls_remote"],
            "git_requests": stack.git_requests(),
            "redis_commands_per_app": round(
                (redis_commands(stack) - fleet.harness_commands - commands) / args.apps, 1
            ),
            "cpu_seconds": cpu,
            "wall_seconds": round(time.perf_counter() - started, 2),
        }
