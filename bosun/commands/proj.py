"""`bosun proj list | get NAME`: AppProjects with their rules and sync windows' current state."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from bosun import output
from bosun.client import BosunClient


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proj = sub.add_parser("proj", help="show AppProjects")
    cmds = proj.add_subparsers(dest="proj_command", required=True, metavar="COMMAND")
    listing = cmds.add_parser("list", help="list AppProjects")
    listing.add_argument("-o", "--output", choices=output.FORMATS, default="table")
    listing.set_defaults(handler=list_projects)
    get = cmds.add_parser("get", help="one AppProject: rules, windows (active now?), applications")
    get.add_argument("name")
    get.add_argument("-o", "--output", choices=output.FORMATS, default="table")
    get.set_defaults(handler=get_project)


def _destinations(project: dict[str, Any]) -> str:
    return ", ".join(
        f"{d.get('server') or d.get('name')}/{d.get('namespace')}" for d in project.get("destinations") or []
    )


def list_projects(args: argparse.Namespace, client: BosunClient) -> int:
    result = client._call("GET", "/api/v1/projects")
    if args.output != "table":
        print(output.dump(result, args.output))
        return 0
    rows = [
        [
            p["name"],
            ", ".join(p.get("sourceRepos") or []),
            _destinations(p),
            len(p.get("syncWindows") or []),
            len(p.get("applications") or []),
        ]
        for p in result.get("items") or []
    ]
    print(output.table(("NAME", "SOURCES", "DESTINATIONS", "WINDOWS", "APPS"), rows))
    for invalid in result.get("invalid") or []:
        print(f"invalid AppProject {invalid['name']}: {invalid['message']}")
    return 0


def get_project(args: argparse.Namespace, client: BosunClient) -> int:
    project = client._call("GET", f"/api/v1/projects/{quote(args.name, safe='')}")
    if args.output != "table":
        print(output.dump(project, args.output))
        return 0

    def kinds(key: str) -> str:
        value = project.get(key)
        if value is None:
            return "(all)"
        return ", ".join(f"{k['group'] or 'core'}/{k['kind']}" for k in value) or "(none)"

    print(f"Name:                 {project['name']}")
    print(f"Sources:              {', '.join(project.get('sourceRepos') or []) or '(none)'}")
    print(f"Destinations:         {_destinations(project) or '(none)'}")
    print(
        f"Cluster kinds:        allow {kinds('clusterResourceWhitelist')}; deny {kinds('clusterResourceBlacklist')}"
    )
    print(
        f"Namespaced kinds:     allow {kinds('namespaceResourceWhitelist')}; deny {kinds('namespaceResourceBlacklist')}"
    )
    print(f"Applications:         {', '.join(project.get('applications') or []) or '(none)'}")
    windows = project.get("syncWindows") or []
    if windows:
        rows = [
            [w["kind"], w["schedule"], f"{w['durationSeconds']:g}s", w["timeZone"], w["manualSync"], w["active"],
             ", ".join(w.get("matchingApplications") or [])]
            for w in windows
        ]  # fmt: skip
        print(output.table(("KIND", "SCHEDULE", "DURATION", "TIMEZONE", "MANUAL", "ACTIVE", "APPS"), rows))
    for app, reason in (project.get("automatedSyncBlocked") or {}).items():
        print(f"automated sync of {app} blocked now: {reason}")
    return 0
