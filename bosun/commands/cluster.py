"""`bosun cluster add CONTEXT [--name N] | list | remove NAME`: clusters as Argo CD cluster Secrets.

`add` reads the kubeconfig context locally (server, token or client certificates, CA) and asks the
API to store the cluster Secret in the management namespace; the credentials are never printed.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from bosun import output
from bosun.client import BosunClient
from gitops.clusters.kubeconfig import cluster_config_from_kubeconfig


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cluster = sub.add_parser("cluster", help="register, list and remove clusters (Argo CD cluster Secrets)")
    cmds = cluster.add_subparsers(dest="cluster_command", required=True, metavar="COMMAND")

    add = cmds.add_parser("add", help="register the cluster of a kubeconfig context")
    add.add_argument("context", help="kubeconfig context")
    add.add_argument("--name", help="cluster name (default: the context name)")
    add.add_argument("--kubeconfig", help="kubeconfig file (default: KUBECONFIG or ~/.kube/config)")
    add.add_argument("--namespace", action="append", default=[], help="restrict to this namespace (repeat)")
    add.add_argument("--label", action="append", default=[], help="KEY=VALUE label on the Secret (repeat)")
    add.set_defaults(handler=add_cluster)

    listing = cmds.add_parser("list", help="clusters with connection status, server version and app count")
    listing.add_argument("-o", "--output", choices=output.FORMATS, default="table")
    listing.set_defaults(handler=list_clusters)

    remove = cmds.add_parser("remove", help="remove a cluster's Secret (its apps become Unknown)")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_cluster)


def _labels(pairs: list[str]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"bosun: --label {pair!r} must be KEY=VALUE")
        labels[key] = value
    return labels


def add_cluster(args: argparse.Namespace, client: BosunClient) -> int:
    server, config = cluster_config_from_kubeconfig(args.kubeconfig, args.context)
    body: dict[str, Any] = {
        "name": args.name or args.context,
        "server": server,
        "config": config,
        "namespaces": args.namespace,
        "labels": _labels(args.label),
    }
    result = client._call("POST", "/api/v1/clusters", json=body)
    print(f"cluster {result['name']} ({result['server']}) added as Secret {result['secretName']}")
    return 0


def list_clusters(args: argparse.Namespace, client: BosunClient) -> int:
    result = client._call("GET", "/api/v1/clusters")
    if args.output != "table":
        print(output.dump(result, args.output))
        return 0
    rows = [
        [
            c["name"],
            c["server"],
            c["connectionState"],
            c.get("serverVersion"),
            c.get("applications"),
            c.get("message"),
        ]
        for c in result.get("items") or []
    ]
    print(output.table(("NAME", "SERVER", "STATUS", "VERSION", "APPS", "MESSAGE"), rows))
    for broken in result.get("broken") or []:
        print(f"unusable Secret {broken['secretName']}: {broken['message']}")
    return 0


def remove_cluster(args: argparse.Namespace, client: BosunClient) -> int:
    result = client._call("DELETE", f"/api/v1/clusters/{quote(args.name, safe='')}")
    print(f"cluster {args.name} removed (Secret {result['secretName']} deleted)")
    return 0
