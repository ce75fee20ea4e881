"""`python -m bench flux-shape [--apps N]`: N apps (default 1,000), each a Deployment scaled to zero, a
ServiceAccount, a Service and an Ingress (Flux 2.6's published test shape); the beat starts and the
clock runs until every app is Synced and Healthy. Aim: 1,000 apps in under 60 s."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.scenarios.fleet import (
    Fleet,
    KeyspaceCounter,
    add_common,
    flux_objects,
    running_stack,
    synced_healthy,
)
from bench.stack import cpu_window


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=1_000)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        fleet = Fleet(stack, args.apps, flux_objects)
        fleet.create_apps()
        counter = KeyspaceCounter(stack)
        with cpu_window(stack) as cpu:
            started = time.perf_counter()
            stack.start_beat()
            seconds = fleet.wait(synced_healthy, args.timeout, "flux-shape sync")
        counts = counter.snapshot()
        counter.close()
        return {
            "scenario": "flux-shape",
            "apps": args.apps,
            "objects_per_app": 4,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "seconds_to_all_synced_healthy": round(seconds, 2),
            "apps_per_second": round(args.apps / seconds, 1),
            "aim_seconds_for_1000": 60,
            "renders": counts["renders"],
            "cpu_seconds": cpu,
            "wall_seconds": round(time.perf_counter() - started, 2),
        }
