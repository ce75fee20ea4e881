"""Entry point of the `bosun` command: parses the command line and dispatches to a subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bosun import __doc__ as package_doc

VERSION = "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bosun", description=package_doc)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print Bosun's version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(f"bosun {VERSION}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
