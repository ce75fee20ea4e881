"""`bosun appset list|get`: ApplicationSets through the API (read only)."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from bosun import output
from bosun.client import BosunClient

Obj = dict[str, Any]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    appset = sub.add_parser("appset", help="show ApplicationSets and the Applications they generate")
    cmds = appset.add_subparsers(dest="appset_command", required=True, metavar="COMMAND")
    listing = cmds.add_parser("list", help="list ApplicationSets")
    listing.add_argument("-o", "--output", choices=output.FORMATS, default="table")
    listing.set_defaults(handler=list_appsets)
    get = cmds.add_parser("get", help="one ApplicationSet with its generated Applications")
    get.add_argument("name")
    get.add_argument("-o", "--output", choices=output.FORMATS, default="table")
    get.set_defaults(handler=get_appset)


def _get(client: BosunClient, path: str, name: str | None = None) -> Obj:
    result: Obj = client._call("GET", path, app=name)
    return result


def list_appsets(args: argparse.Namespace, client: BosunClient) -> int:
    items = _get(client, "/api/v1/applicationsets").get("items") or []
    if args.output != "table":
        print(output.dump(items, args.output))
        return 0
    rows = [[s["name"], ",".join(s["generators"]), s["applicationsSync"], s["applications"], s["error"] or "-"]
            for s in items]  # fmt: skip
    print(output.table(("NAME", "GENERATORS", "POLICY", "APPS", "ERROR"), rows))
    return 0


def get_appset(args: argparse.Namespace, client: BosunClient) -> int:
    data = _get(client, f"/api/v1/applicationsets/{quote(args.name, safe='')}", name=args.name)
    if args.output != "table":
        print(output.dump(data, args.output))
        return 0
    info = data["summary"]
    facts = [("Name", info["name"]), ("Generators", ", ".join(info["generators"])),
             ("Template", "goTemplate" if info["goTemplate"] else "{{param}}"),
             ("Policy", info["applicationsSync"]),
             ("Preserve", "resources kept on deletion" if info["preserveResourcesOnDeletion"] else "no"),
             ("Error", info["error"] or "-")]  # fmt: skip
    print("\n".join(f"{(k + ':').ljust(12)} {v}" for k, v in facts))
    rows = []
    for app in data["applications"]:
        dest = app["destination"]
        where = f"{dest.get('name') or dest.get('server') or '?'}/{dest.get('namespace') or ''}"
        rows.append(
            [app["name"], app["sync"] or "-", app["health"] or "-", where, "yes" if app["deleting"] else ""]
        )
    print()
    print(output.table(("APPLICATION", "SYNC", "HEALTH", "DESTINATION", "DELETING"), rows))
    return 0
