"""`python -m bench memory [--apps N]`: worker RSS and Redis memory with N synced apps (default 10,000),
after one more full refresh cycle. Aim: under 200 MB per worker process, under 8 KB of Redis per app."""

from __future__ import annotations

import argparse
from typing import Any

from bench.scenarios.fleet import add_common, running_stack, synced_fleet
from bench.stack import tree_rss_mb


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=10_000)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        baseline = int(stack.redis.info("memory")["used_memory"])
        fleet = synced_fleet(stack, args.apps, args.timeout)
        fences = {name: fence for name, fence, _doc in fleet.statuses()}
        fleet.refresh_all()
        fleet.wait(lambda n, f, _d: f > fences[n], args.timeout, "refresh cycle")
        used = int(stack.redis.info("memory")["used_memory"])
        processes = [mb for proc in stack.procs["workers"] for mb in tree_rss_mb(proc.pid)]
        keys = int(stack.redis.dbsize())
        return {
            "scenario": "memory",
            "apps": args.apps,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "worker_process_rss_mb": [round(mb, 1) for mb in processes],
            "worker_process_rss_mb_max": round(max(processes), 1),
            "worker_host_rss_mb_total": round(sum(processes), 1),
            "redis_used_memory_mb": round(used / 2**20, 1),
            "redis_bytes_per_app": round((used - baseline) / args.apps),
            "redis_keys": keys,
            "aim_worker_mb": 200,
            "aim_redis_bytes_per_app": 8192,
        }
