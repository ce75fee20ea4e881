"""`kubesim serve --port PORT --kubeconfig PATH [--token T] [--read-only-token T2] [--tls] [--controller-delay S]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kubesim.server import Running, ServerOptions, run


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kubesim", description="A local Kubernetes API server for tests and demos."
    )
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the Kubernetes API until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=0, help="TCP port (0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--kubeconfig", type=Path, required=True, help="where to write the kubeconfig (context kubesim)"
    )
    serve.add_argument("--token", default=os.environ.get("KUBESIM_TOKEN"), help="require this bearer token")
    serve.add_argument(
        "--read-only-token",
        default=os.environ.get("KUBESIM_READ_ONLY_TOKEN"),
        help="a second token allowed to read only",
    )
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a generated self-signed CA")
    serve.add_argument(
        "--controller-delay", type=float, default=0.2, help="seconds before simulated progress"
    )
    serve.add_argument(
        "--no-controllers", action="store_true", help="start with the simulated controllers paused"
    )
    serve.add_argument("--watch-window", type=int, default=10_000, help="events kept for watch replay")
    serve.add_argument("--bookmark-interval", type=float, default=1.0, help="seconds between watch BOOKMARKs")
    serve.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU core")
    serve.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    options = ServerOptions(
        port=args.port,
        host=args.host,
        kubeconfig=args.kubeconfig,
        token=args.token,
        read_only_token=args.read_only_token,
        tls=args.tls,
        controller_delay=args.controller_delay,
        controllers=not args.no_controllers,
        watch_window=args.watch_window,
        bookmark_interval=args.bookmark_interval,
    )

    def announce(running: Running) -> None:
        print(f"kubesim: serving {running.url}, kubeconfig {running.kubeconfig}", file=sys.stderr, flush=True)

    try:
        run(options, on_ready=announce)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
