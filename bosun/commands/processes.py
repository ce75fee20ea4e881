"""Process launchers: `bosun server` (uvicorn serving the API and webhooks), `bosun worker` (a Celery
worker of workers.celery_app) and `bosun beat` (the Celery beat running the one `bosun.tick` entry;
with `--watch` it also runs the drift watcher of workers.watch in a thread), and `bosun watch` (the
drift watcher alone: WATCHes tracked objects and enqueues a refresh of the app whose object changed).

Each runs in the foreground until SIGTERM/SIGINT; every setting comes from the environment
(`BOSUN_*`, gitops.settings). Nothing here prints the Redis URL or a token.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gitops.errors import ConfigError
from gitops.settings import get_settings

QUEUES = ("refresh", "sync")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    server = sub.add_parser("server", help="run the API and webhook server (uvicorn)")
    server.add_argument("--host", help="bind address (default: BOSUN_API_HOST)")
    server.add_argument("--port", type=int, help="port (default: BOSUN_API_PORT)")
    server.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    server.set_defaults(handler=run_server)

    worker = sub.add_parser("worker", help="run a Celery worker for Bosun's tasks")
    worker.add_argument(
        "--queues", "-Q", default="refresh,sync", help="comma-separated queues: refresh, sync (default both)"
    )
    worker.add_argument("--concurrency", "-c", type=int, help="child processes (default: CPU count)")
    worker.add_argument("--hostname", "-n", help="worker node name (default: bosun-<queues>@%%h)")
    worker.add_argument("--pool", "-P", default="prefork", choices=("prefork", "threads", "solo"))
    worker.add_argument(
        "--include", "-I", default="", help="comma-separated extra modules to import (plugins)"
    )
    worker.set_defaults(handler=run_worker)

    beat = sub.add_parser("beat", help="run the beat that enqueues due refreshes (one tick task)")
    beat.add_argument("--schedule-file", help="beat state file (default: ~/.cache/bosun/beat-schedule)")
    beat.add_argument("--pidfile", help="pid file (refuses to start while another beat holds it)")
    beat.add_argument(
        "--watch", action="store_true", help="also watch tracked objects and refresh their app on drift"
    )
    beat.set_defaults(handler=run_beat)

    watch = sub.add_parser("watch", help="watch tracked objects and refresh their app on drift")
    watch.set_defaults(handler=run_watch)


def _log_level() -> str:
    return get_settings().log_level.upper()


def run_server(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    host = args.host or settings.api_host
    port = args.port if args.port is not None else settings.api_port
    if not settings.api_read_token.get_secret_value() and not settings.api_write_token.get_secret_value():
        print("bosun server: warning: BOSUN_API_READ_TOKEN and BOSUN_API_WRITE_TOKEN are unset; "
              "the v1 API will refuse every request", flush=True)  # fmt: skip
    if args.workers > 1:
        uvicorn.run("scheduler.api.app:create_app", factory=True, host=host, port=port,
                    workers=args.workers, log_level=_log_level().lower())  # fmt: skip
        return 0
    from scheduler.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=_log_level().lower())
    return 0


def parse_queues(text: str) -> list[str]:
    queues = [q.strip() for q in text.split(",") if q.strip()]
    unknown = [q for q in queues if q not in QUEUES]
    if not queues or unknown:
        raise ConfigError(
            f"unknown queue(s) {', '.join(unknown) or '(none given)'}",
            target="bosun worker --queues",
            hint=f"use a comma-separated subset of: {', '.join(QUEUES)}",
        )
    return queues


def worker_argv(args: argparse.Namespace) -> list[str]:
    """The `celery worker` arguments for `bosun worker` (tests inspect them)."""
    queues = parse_queues(args.queues)
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigError("concurrency must be at least 1", target="bosun worker --concurrency")
    hostname = args.hostname or f"bosun-{'-'.join(queues)}@%h"
    argv = ["worker", "-Q", ",".join(queues), "-n", hostname, "-P", args.pool, "-l", _log_level(),
            "--without-gossip", "--without-mingle"]  # fmt: skip
    if args.concurrency is not None:
        argv += ["-c", str(args.concurrency)]
    if args.include:
        argv += ["-I", args.include]
    return argv


def run_worker(args: argparse.Namespace) -> int:
    argv = worker_argv(args)
    from workers.celery_app import app

    app.worker_main(argv)
    return 0


def default_beat_schedule() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "bosun" / "beat-schedule"


def run_beat(args: argparse.Namespace) -> int:
    schedule = Path(args.schedule_file) if args.schedule_file else default_beat_schedule()
    try:
        schedule.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the directory of the beat schedule file: {exc.strerror}",
            target=str(schedule),
            hint="pass --schedule-file in a writable directory",
        ) from None
    argv = ["beat", "-s", str(schedule), "-l", _log_level()]
    if args.pidfile:
        argv += ["--pidfile", args.pidfile]
    from workers.celery_app import app

    if getattr(args, "watch", False):
        from celery.signals import beat_init

        from workers.context import context
        from workers.watch import start_drift_watcher

        def start_watcher(**_kwargs: object) -> None:  # once beat has set up logging
            start_drift_watcher(context(), app)

        beat_init.connect(start_watcher, weak=False)
    code = app.start(argv)
    return int(code or 0)


def run_watch(_args: argparse.Namespace) -> int:
    import logging

    from workers.celery_app import app
    from workers.context import context
    from workers.watch import DriftWatcher

    logging.basicConfig(level=_log_level(), format="[%(asctime)s: %(levelname)s/%(name)s] %(message)s")
    DriftWatcher(context(), app).run()
    return 0
