"""`python -m bench steady-refresh [--apps N] [--workers W] [--cycles C]`: N synced apps, nothing
changes; every app gets one refresh request (as the beat's tick sends them) and the clock runs until
every app has written a new status. Aim: 10,000 apps in under 60 s per cycle; ls-remote calls =
distinct (repo, ref) pairs (here 1); renders 0."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bench.scenarios.fleet import (
    Fleet,
    KeyspaceCounter,
    add_common,
    mean,
    redis_commands,
    running_stack,
    synced_fleet,
)
from bench.stack import Stack, cpu_window


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=10_000)
    parser.add_argument("--cycles", type=int, default=2, help="refresh cycles to measure")


def newer_than(fences: dict[str, int]) -> Callable[[str, int, Any], bool]:
    """Done when the app's status fence moved past the given one (a new status was written)."""
    return lambda name, fence, _doc: fence > fences[name]


def measure(stack: Stack, args: argparse.Namespace, fleet: Fleet | None = None) -> dict[str, Any]:
    """Sync a fleet (unless given one), then time `args.cycles` full refresh cycles on the running
    stack; the figures include the fleet under "fleet" for a caller measuring again."""
    fleet = fleet or synced_fleet(stack, args.apps, args.timeout)
    counter = KeyspaceCounter(stack)
    seconds, ls_remotes, renders, git_requests, commands = [], [], [], [], []
    with cpu_window(stack) as cpu:
        for _ in range(args.cycles):
            before = {name: fence for name, fence, _doc in fleet.statuses()}
            counts, git_before = counter.snapshot(), stack.git_requests()
            cmd_before = redis_commands(stack) - fleet.harness_commands
            fleet.refresh_all()
            seconds.append(fleet.wait(newer_than(before), args.timeout, "refresh cycle"))
            after = counter.snapshot()
            ls_remotes.append(after["ls_remote"] - counts["ls_remote"])
            renders.append(after["renders"] - counts["renders"])
            git_requests.append(stack.git_requests() - git_before)
            commands.append(redis_commands(stack) - fleet.harness_commands - cmd_before)
    counter.close()
    cycle = mean(seconds)
    return {
        "fleet": fleet,
        "apps": args.apps,
        "workers": len(stack.procs.get("workers", [])),
        "concurrency": args.concurrency,
        "cycle_seconds": round(cycle, 2),
        "cycle_seconds_each": [round(s, 2) for s in seconds],
        "refreshes_per_second": round(args.apps / cycle, 1),
        "ls_remote_calls_per_cycle": ls_remotes,
        "git_requests_per_cycle": git_requests,
        "distinct_repo_ref_pairs": 1,
        "renders_per_cycle": renders,
        "redis_commands_per_refresh": round(mean(commands) / args.apps, 1),
        "cpu_seconds": cpu,
        "cpu_ms_per_refresh": {k: round(v / (args.apps * args.cycles) * 1000, 3) for k, v in cpu.items()},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        figures = measure(stack, args)
        figures.pop("fleet")
        return {"scenario": "steady-refresh", "aim_cycle_seconds_for_10000": 60, **figures}
