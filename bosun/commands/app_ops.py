"""`bosun app sync | wait | diff | rollback`: operations that report progress and whose exit code
says how they ended (0 done, 1 failed, timed out, or - for diff - a difference found).

Progress lines go to stderr, the result (table, JSON or YAML) to stdout, so `-o json` stays parseable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bosun import output
from bosun.client import BosunClient
from gitops.errors import ApiError
from gitops.model.operation import operation_in_progress

Obj = dict[str, Any]
DONE_PHASES = ("Succeeded", "Failed", "Error")
POLL_SECONDS = 0.5


def add_parsers(
    cmds: argparse._SubParsersAction[argparse.ArgumentParser],
    output_option: Callable[[argparse.ArgumentParser], None],
) -> None:
    sync = cmds.add_parser("sync", help="sync an Application and wait for the operation to finish")
    sync.add_argument("name")
    sync.add_argument("--revision", help="sync to this revision instead of the target")
    sync.add_argument("--prune", action="store_true", help="delete resources no longer in Git")
    sync.add_argument("--dry-run", action="store_true", help="run every step in dry-run mode")
    sync.add_argument("--resource", action="append", default=[], metavar="GROUP:KIND:NAME",
                      help="sync only this resource (repeatable; GROUP may be empty)")  # fmt: skip
    sync.add_argument("--sync-option", action="append", default=[], metavar="OPT=VAL",
                      help="sync option, e.g. CreateNamespace=true (repeatable)")  # fmt: skip
    sync.add_argument(
        "--async", dest="no_wait", action="store_true", help="return once the sync is requested"
    )
    sync.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    output_option(sync)
    sync.set_defaults(handler=sync_app)

    wait = cmds.add_parser("wait", help="wait until an Application is synced and/or healthy")
    wait.add_argument("name")
    wait.add_argument("--sync", action="store_true", help="wait for sync status Synced")
    wait.add_argument("--health", action="store_true", help="wait for health Healthy")
    wait.add_argument("--operation", action="store_true", help="wait for the running operation to end")
    wait.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    output_option(wait)
    wait.set_defaults(handler=wait_app)

    diff = cmds.add_parser("diff", help="show the difference between Git and the cluster (exit 1 if any)")
    diff.add_argument("name")
    diff.set_defaults(handler=diff_app)

    rollback = cmds.add_parser("rollback", help="sync back to a history entry (default: the previous one)")
    rollback.add_argument("name")
    rollback.add_argument("id", nargs="?", type=int, help="history id (see `bosun app history`)")
    rollback.add_argument("--prune", action="store_true")
    rollback.add_argument("--dry-run", action="store_true")
    rollback.add_argument("--async", dest="no_wait", action="store_true", help="return once requested")
    rollback.add_argument("--timeout", type=float, default=300.0)
    output_option(rollback)
    rollback.set_defaults(handler=rollback_app)


def operation_running(app: Mapping[str, Any]) -> bool:
    """An operation is requested (`.operation`) or in flight (phase Running/Terminating)."""
    return operation_in_progress(app)


@dataclass(frozen=True)
class Goal:
    sync: bool
    health: bool
    operation: bool

    def reached(self, app: Mapping[str, Any]) -> bool:
        if self.operation and operation_running(app):
            return False
        if self.sync and output.sync_status(app) != "Synced":
            return False
        return not (self.health and output.health_status(app) != "Healthy")

    def failure(self, app: Mapping[str, Any]) -> str | None:
        """Why waiting can stop with an error (a finished operation that did not succeed)."""
        if not self.operation or operation_running(app):
            return None
        state = (app.get("status") or {}).get("operationState") or {}
        if state.get("phase") in ("Failed", "Error"):
            return f"operation {state['phase']}: {state.get('message') or 'no message'}"
        return None


def _progress_line(app: Mapping[str, Any]) -> str:
    state = (app.get("status") or {}).get("operationState") or {}
    op = state.get("phase") or ("Requested" if app.get("operation") else "-")
    if state.get("message"):
        op += f" ({state['message']})"
    revision = output.short_sha(((app.get("status") or {}).get("sync") or {}).get("revision"))
    return (f"sync {output.sync_status(app)}{' to ' + revision if revision else ''}, "
            f"health {output.health_status(app)}, operation {op}")  # fmt: skip


def wait_for(client: BosunClient, name: str, goal: Goal, timeout: float) -> tuple[Obj, str | None]:
    """Poll until `goal` is reached; returns the last app seen and an error (None on success).
    Each change of state is printed to stderr; an unreachable or failing (5xx) API is retried until
    the deadline, other API errors end the wait at once."""
    deadline = time.monotonic() + timeout
    last_line = ""
    app: Obj = {}
    while True:
        try:
            app = client.application(name)
        except ApiError as exc:
            if exc.status is not None and exc.status < 500:
                raise  # 401, 403, 404: waiting longer will not help
            if time.monotonic() >= deadline:
                return app, f"application {name!r}: timed out after {timeout:g}s; last error: {exc.message}"
            line = f"API unavailable, retrying: {exc.message}"
            if line != last_line:
                print(f"{time.strftime('%H:%M:%S')}  {name}: {line}", file=sys.stderr, flush=True)
                last_line = line
            time.sleep(POLL_SECONDS * 2)
            continue
        line = _progress_line(app)
        if line != last_line:
            print(f"{time.strftime('%H:%M:%S')}  {name}: {line}", file=sys.stderr, flush=True)
            last_line = line
        failure = goal.failure(app)
        if failure:
            return app, f"application {name!r}: {failure}"
        if goal.reached(app):
            return app, None
        if time.monotonic() >= deadline:
            return app, f"application {name!r}: timed out after {timeout:g}s waiting ({line})"
        time.sleep(POLL_SECONDS)


def wait_gone(client: BosunClient, name: str, timeout: float) -> str | None:
    """Poll until the Application no longer exists (its finalizers done); an error on timeout."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            app = client.application(name)
        except ApiError as exc:
            if exc.status == 404:
                return None
            if exc.status is not None and exc.status < 500:
                raise
            app = {}
        left = len((app.get("status") or {}).get("resources") or [])
        line = f"deleting, {left} resource(s) tracked" if app else "API unavailable, retrying"
        if line != last:
            print(f"{time.strftime('%H:%M:%S')}  {name}: {line}", file=sys.stderr, flush=True)
            last = line
        if time.monotonic() >= deadline:
            return f"application {name!r}: still present after {timeout:g}s ({line})"
        time.sleep(POLL_SECONDS)


def _finish(app: Obj, error: str | None, fmt: str) -> int:
    if not app:
        pass  # the API never answered
    elif fmt == "table":
        print(output.app_summary(app))
        result = ((app.get("status") or {}).get("operationState") or {}).get("syncResult") or {}
        if result.get("resources"):
            rows = [[r.get("kind"), r.get("namespace"), r.get("name"), r.get("status"), r.get("message")]
                    for r in result["resources"]]  # fmt: skip
            print()
            print(output.table(("KIND", "NAMESPACE", "NAME", "RESULT", "MESSAGE"), rows))
    else:
        print(output.dump(app, fmt))
    if error:
        print(f"bosun: {error}", file=sys.stderr)
        return 1
    return 0


def parse_resource(text: str) -> dict[str, str]:
    from gitops.errors import ConfigError

    parts = text.split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise ConfigError(f"resource {text!r} is not GROUP:KIND:NAME", target="--resource",
                          hint="e.g. apps:Deployment:web or :ConfigMap:settings")  # fmt: skip
    group, kind, name = parts
    namespace = ""
    if "/" in name:
        namespace, name = name.split("/", 1)
    spec = {"group": group, "kind": kind, "name": name}
    if namespace:
        spec["namespace"] = namespace
    return spec


def sync_app(args: argparse.Namespace, client: BosunClient) -> int:
    resources = [parse_resource(r) for r in args.resource]
    client.sync(args.name, revision=args.revision, prune=args.prune, dry_run=args.dry_run,
                resources=resources or None, sync_options=args.sync_option)  # fmt: skip
    what = " (dry run)" if args.dry_run else ""
    print(f"application {args.name!r}: sync requested{what}", file=sys.stderr, flush=True)
    if args.no_wait:
        return 0
    app, error = wait_for(client, args.name, Goal(sync=False, health=False, operation=True), args.timeout)
    return _finish(app, error, args.output)


def wait_app(args: argparse.Namespace, client: BosunClient) -> int:
    everything = not (args.sync or args.health or args.operation)
    goal = Goal(
        sync=args.sync or everything, health=args.health or everything, operation=args.operation or everything
    )
    app, error = wait_for(client, args.name, goal, args.timeout)
    return _finish(app, error, args.output)


def rollback_app(args: argparse.Namespace, client: BosunClient) -> int:
    history_id = args.id
    if history_id is None:
        from gitops.errors import ConfigError

        history = sorted(client.history(args.name), key=lambda h: int(h.get("id", 0)))
        if len(history) < 2:
            raise ConfigError(
                "no previous deployment to roll back to",
                app=args.name,
                hint="`bosun app history` lists the ids; pass one explicitly",
            )
        history_id = int(history[-2]["id"])
    client.rollback(args.name, history_id, prune=args.prune, dry_run=args.dry_run)
    print(
        f"application {args.name!r}: rollback to history id {history_id} requested",
        file=sys.stderr,
        flush=True,
    )
    if args.no_wait:
        return 0
    app, error = wait_for(client, args.name, Goal(sync=False, health=False, operation=True), args.timeout)
    return _finish(app, error, args.output)


def diff_app(args: argparse.Namespace, client: BosunClient) -> int:
    result = client.diff(args.name)
    entries = [e for e in (result.get("diffs") or result.get("resources") or []) if e.get("diff")]
    for entry in entries:
        print(entry["diff"].rstrip("\n"))
    if entries:
        print(f"application {args.name!r}: {len(entries)} resource(s) differ", file=sys.stderr)
        return 1
    return 0
