"""`python -m bench scale-out [--apps N] [--counts 1,2,4]`: steady-refresh cycles of N synced apps with
1, then 2, then 4 worker processes (workers are added to the same running stack). Figures: refreshes
per second per worker count, the ratio to one worker, Redis commands per refresh."""

from __future__ import annotations

import argparse
from typing import Any

from bench.scenarios import steady_refresh
from bench.scenarios.fleet import add_common, running_stack


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=2_000, workers=1)
    parser.set_defaults(concurrency=1)
    parser.add_argument("--counts", default="1,2,4", help="worker process counts, increasing")
    parser.add_argument("--cycles", type=int, default=1, help="refresh cycles per worker count")


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = sorted(int(c) for c in args.counts.split(","))
    rows: dict[str, dict[str, Any]] = {}
    with running_stack(args, workers=counts[0]) as stack:
        fleet = None
        for count in counts:
            while len(stack.procs["workers"]) < count:
                stack.add_worker(args.concurrency, f"w{len(stack.procs['workers'])}")
            figures = steady_refresh.measure(stack, args, fleet)
            fleet = figures.pop("fleet")
            rows[str(count)] = figures
    base = rows[str(counts[0])]["refreshes_per_second"]
    return {
        "scenario": "scale-out",
        "apps": args.apps,
        "concurrency_per_worker": args.concurrency,
        "refreshes_per_second": {c: r["refreshes_per_second"] for c, r in rows.items()},
        "ratio_to_first": {c: round(r["refreshes_per_second"] / base, 2) for c, r in rows.items()},
        "redis_commands_per_refresh": {c: r["redis_commands_per_refresh"] for c, r in rows.items()},
        "cpu_ms_per_refresh": {c: r["cpu_ms_per_refresh"] for c, r in rows.items()},
        "cpu_seconds": {c: r["cpu_seconds"] for c, r in rows.items()},
    }
