"""`bosun app ...`: the parsers of every app subcommand and the simple ones (create, list, get,
refresh, history, terminate-op, delete). Sync, wait, diff and rollback live in app_ops."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from bosun import output
from bosun.client import BosunClient
from bosun.commands import app_ops
from gitops.errors import ConfigError

Obj = dict[str, Any]


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", choices=output.FORMATS, default="table", help="table (default), json or yaml"
    )


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    app = sub.add_parser("app", help="manage Applications through the API (BOSUN_API_URL, BOSUN_API_TOKEN)")
    cmds = app.add_subparsers(dest="app_command", required=True, metavar="COMMAND")

    create = cmds.add_parser("create", help="create Applications from a YAML/JSON file ('-' = stdin)")
    create.add_argument("-f", "--file", required=True, help="file with one or more Application documents")
    create.add_argument("--upsert", action="store_true", help="replace the spec of an existing app")
    _output_option(create)
    create.set_defaults(handler=create_apps)

    listing = cmds.add_parser("list", help="list Applications")
    listing.add_argument("--project", help="only this project")
    listing.add_argument("--sync", help="only this sync status (Synced, OutOfSync, Unknown)")
    listing.add_argument("--health", help="only this health (Healthy, Progressing, Degraded, ...)")
    _output_option(listing)
    listing.set_defaults(handler=list_apps)

    get = cmds.add_parser("get", help="show one Application with its status and resources")
    get.add_argument("name")
    _output_option(get)
    get.set_defaults(handler=get_app)

    refresh = cmds.add_parser("refresh", help="queue a refresh (compare with Git and the cluster)")
    refresh.add_argument("name")
    refresh.add_argument("--hard", action="store_true", help="re-render manifests, bypassing caches")
    refresh.set_defaults(handler=refresh_app)

    history = cmds.add_parser("history", help="deployment history (ids for rollback)")
    history.add_argument("name")
    _output_option(history)
    history.set_defaults(handler=app_history)

    events = cmds.add_parser("events", help="recent events of an Application, newest first")
    events.add_argument("name")
    events.add_argument("--count", type=int, default=20)
    _output_option(events)
    events.set_defaults(handler=app_events)

    terminate = cmds.add_parser("terminate-op", help="terminate the running operation")
    terminate.add_argument("name")
    terminate.set_defaults(handler=terminate_op)

    delete = cmds.add_parser("delete", help="delete an Application")
    delete.add_argument("name")
    delete.add_argument(
        "--cascade",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also delete the app's resources (default; --no-cascade leaves them)",
    )
    delete.add_argument("--wait", action="store_true", help="wait until the Application is gone")
    delete.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait with --wait (default 300)"
    )
    delete.set_defaults(handler=delete_app)

    app_ops.add_parsers(cmds, _output_option)


def read_applications(path: str) -> list[Obj]:
    """Application documents of a YAML/JSON file ('-' = stdin); ConfigError naming the file."""
    where = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except OSError as exc:
        raise ConfigError(
            f"cannot read the file: {exc.strerror}", target=where, hint="check the -f path"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"not valid YAML{line}", target=where, hint="fix the file") from None
    expanded: list[Obj] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") in ("List", "ApplicationList"):
            expanded.extend(doc.get("items") or [])
        else:
            expanded.append(doc)
    if not expanded:
        raise ConfigError("no documents found", target=where, hint="put an Application in the file")
    for index, doc in enumerate(expanded):
        if not isinstance(doc, dict) or doc.get("kind") != "Application":
            kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
            raise ConfigError(
                f"document {index + 1} is a {kind!r}, not an Application",
                target=where,
                hint="only argoproj.io/v1alpha1 Applications can be created with `bosun app create`",
            )
        if not (doc.get("metadata") or {}).get("name"):
            raise ConfigError(
                f"document {index + 1} has no metadata.name", target=where, hint="name the Application"
            )
    return expanded


def _emit(data: Any, fmt: str, text: str) -> None:
    print(text if fmt == "table" else output.dump(data, fmt))


def create_apps(args: argparse.Namespace, client: BosunClient) -> int:
    docs = read_applications(args.file)
    results = [client.create(doc, upsert=args.upsert) for doc in docs]
    for result in results:
        for note in result.get("notes") or []:
            print(f"bosun: app {result['application']!r}: note: {note}", file=sys.stderr)
    resources = [r.get("resource") or {} for r in results]
    lines = [f"application {r['application']!r} {r['action']}" for r in results]
    data: Any = resources[0] if len(resources) == 1 else resources
    _emit(data, args.output, "\n".join(lines))
    return 0


def list_apps(args: argparse.Namespace, client: BosunClient) -> int:
    apps = list(client.applications(project=args.project, sync=args.sync, health=args.health))
    _emit(apps, args.output, output.app_table(apps))
    return 0


def get_app(args: argparse.Namespace, client: BosunClient) -> int:
    app = client.application(args.name)
    _emit(app, args.output, output.app_summary(app))
    return 0


def refresh_app(args: argparse.Namespace, client: BosunClient) -> int:
    result = client.refresh(args.name, hard=args.hard)
    kind = "hard refresh" if args.hard else "refresh"
    state = "queued" if result.get("queued") else "already queued"
    print(f"application {args.name!r}: {kind} {state}")
    return 0


def app_history(args: argparse.Namespace, client: BosunClient) -> int:
    history = client.history(args.name)
    _emit(
        history,
        args.output,
        output.history_table(history) if history else f"application {args.name!r}: no deployments yet",
    )
    return 0


def app_events(args: argparse.Namespace, client: BosunClient) -> int:
    events = client.events(args.name, count=args.count)
    _emit(events, args.output, output.events_table(events))
    return 0


def terminate_op(args: argparse.Namespace, client: BosunClient) -> int:
    result = client.terminate_operation(args.name)
    print(f"application {args.name!r}: {result.get('message') or 'operation termination requested'}")
    return 0


def delete_app(args: argparse.Namespace, client: BosunClient) -> int:
    result = client.delete(args.name, cascade=args.cascade)
    what = "with its resources" if args.cascade else "leaving its resources in place"
    print(f"application {args.name!r}: deletion requested ({what})" if result.get("deleted") else
          f"application {args.name!r}: already gone")  # fmt: skip
    if not args.wait:
        return 0
    error = app_ops.wait_gone(client, args.name, args.timeout)
    if error:
        print(f"bosun: {error}", file=sys.stderr)
        return 1
    print(f"application {args.name!r}: deleted")
    return 0
