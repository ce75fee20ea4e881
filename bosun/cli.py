"""Entry point of the `bosun` command: builds the parser from bosun.commands and dispatches.

Exit codes: 0 done; 1 an expected failure (API error, failed or timed-out operation, a difference
found by `app diff`), printed as one line `bosun: ...` on stderr, never a traceback; 2 bad usage;
130 interrupted.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bosun import __doc__ as package_doc
from bosun.client import BosunClient
from bosun.commands import apps, appset, cluster, flower, processes, proj
from gitops.errors import BosunError
from gitops.settings import get_settings

VERSION = "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bosun", description=package_doc)
    parser.add_argument("--api-url", help="API server URL (default: BOSUN_API_URL)")
    parser.add_argument("--timeout-http", type=float, default=30.0, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    version = sub.add_parser("version", help="print Bosun's version")
    version.set_defaults(handler=lambda _args: print(f"bosun {VERSION}") or 0)
    processes.add_parsers(sub)
    flower.add_parsers(sub)
    apps.add_parsers(sub)
    cluster.add_parsers(sub)
    proj.add_parsers(sub)
    appset.add_parsers(sub)
    return parser


def _client(args: argparse.Namespace) -> BosunClient:
    settings = get_settings()
    if args.api_url:
        settings = settings.model_copy(update={"api_url": args.api_url})
    return BosunClient.from_settings(settings, timeout=args.timeout_http)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = args.handler
    try:
        if len(inspect.signature(handler).parameters) == 2:
            with _client(args) as client:
                return int(handler(args, client) or 0)
        return int(handler(args) or 0)
    except BosunError as exc:
        print(f"bosun: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        fields = ", ".join(f"BOSUN_{'_'.join(str(p) for p in e['loc']).upper()}" for e in exc.errors())
        print(
            f"bosun: invalid setting(s) {fields}: {exc.errors()[0]['msg']} (fix the environment)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("bosun: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
