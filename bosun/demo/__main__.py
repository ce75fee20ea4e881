"""`python -m bosun.demo [--once] [--timeout S]`: see bosun/demo/__init__.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bosun.demo.run import run_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bosun.demo", description="Bosun on this machine, end to end."
    )
    parser.add_argument("--once", action="store_true", help="exit 0 after the webhook round")
    parser.add_argument(
        "--timeout", type=float, default=150.0, help="seconds allowed for the apps to converge"
    )
    parser.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy every process's log here on exit")
    args = parser.parse_args(argv)
    return run_demo(once=args.once, timeout=args.timeout, keep_logs=args.keep_logs)


if __name__ == "__main__":
    sys.exit(main())
