"""`python -m bench monorepo [--apps N]`: N synced apps in one repo (default 1,000), each with
`manifest-generate-paths: .`; one commit touches one app's path and its webhook is posted. Figures:
renders, refreshes (status writes) and syncs that commit causes, within `--settle` seconds after the
change is live; then one full refresh cycle at the new commit and the renders it causes. Aim: one
render, one sync."""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from kubernetes import client as k8s

from bench.scenarios.fleet import KeyspaceCounter, add_common, running_stack, synced_fleet
from bench.scenarios.webhooks import post_push, push_change
from gitops.coordination import EventLog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, apps=1_000)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait for stray work")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with running_stack(args) as stack:
        fleet = synced_fleet(stack, args.apps, args.timeout)
        core = k8s.CoreV1Api(fleet.api_client)
        events = EventLog(stack.redis_text, fleet.keys)
        target = args.apps // 2
        counter = KeyspaceCounter(stack)
        fences = {name: fence for name, fence, _doc in fleet.statuses()}
        syncs_before = sum(e.kind == "auto-sync" for e in events.recent(fleet.names[target], 1000))
        base = counter.snapshot()
        before, after, path = push_change(fleet, target, "changed")
        with httpx.Client() as http:
            post_push(http, fleet, before, after, path)
        deadline = time.monotonic() + args.timeout
        while (core.read_namespaced_config_map(f"cm-{target:05d}", "bench").data or {}).get(
            "version"
        ) != "changed":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the change to app {target} never went live")
            time.sleep(0.01)

        def syncs_since() -> int:
            recent = events.recent(fleet.names[target], 1000)
            return sum(e.kind == "auto-sync" for e in recent) - syncs_before

        # the change is live, so its sync ran; its event may land a moment later on a loaded host
        while syncs_since() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(args.settle)
        mid = counter.snapshot()
        written = [name for name, fence, _doc in fleet.statuses() if fence != fences[name]]
        syncs = syncs_since()
        fleet.refresh_all()
        fleet.wait(lambda n, f, _d: f > fences[n], args.timeout, "refresh cycle after the commit")
        end = counter.snapshot()
        counter.close()
        return {
            "scenario": "monorepo",
            "apps": args.apps,
            "workers": args.workers,
            "renders_caused_by_commit": mid["renders"] - base["renders"],
            "apps_with_status_writes": len(written),
            "other_apps_refreshed": len([n for n in written if n != fleet.names[target]]),
            "syncs_caused_by_commit": syncs,
            "renders_in_next_full_cycle": end["renders"] - mid["renders"],
            "aim": "1 render, 1 sync",
        }
