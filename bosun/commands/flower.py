"""`bosun flower`: Flower for Bosun's Celery app, behind HTTP basic auth from the settings.

The user and password come from `BOSUN_FLOWER_USER` / `BOSUN_FLOWER_PASSWORD` and are handed to Flower
in-process (never on a command line another user could read in `ps`). Without a password Flower is
refused unless `--no-auth` is given explicitly. Celery's banner (which shows the broker) is suppressed
and the broker URL is never printed.

Workers send no Celery task events by default (`BOSUN_TASK_EVENTS`, four PUBLISHes per task nobody
else reads): `bosun flower` broadcasts `enable_events` once before it starts serving, so the running
workers report every task from then on, and Flower's own periodic broadcast (every 5 s, kept on)
does the same for workers started later.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from typing import Any

from gitops.errors import ConfigError
from gitops.settings import Settings, get_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    flower = sub.add_parser("flower", help="run Flower (Celery monitor) with basic auth")
    flower.add_argument("--port", type=int, default=5555, help="port (default 5555)")
    flower.add_argument("--address", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    flower.add_argument("--url-prefix", default="", help="serve under this path (behind a proxy)")
    flower.add_argument(
        "--no-auth",
        action="store_true",
        help="run without authentication (only behind an authenticating proxy)",
    )
    flower.set_defaults(handler=run_flower)


def basic_auth(settings: Settings, no_auth: bool) -> list[str]:
    """Flower's `basic_auth` option value for these settings ([] only with --no-auth)."""
    user = settings.flower_user
    password = settings.flower_password.get_secret_value()
    if no_auth:
        return []
    if not password:
        raise ConfigError(
            "refusing to start Flower without a password",
            target="BOSUN_FLOWER_PASSWORD",
            hint="set BOSUN_FLOWER_PASSWORD (and BOSUN_FLOWER_USER), or pass --no-auth explicitly",
        )
    if not user or ":" in user:
        raise ConfigError(
            "the Flower user must be non-empty and contain no ':'",
            target="BOSUN_FLOWER_USER",
            hint="set BOSUN_FLOWER_USER to a plain name such as admin",
        )
    return [f"{user}:{password}"]


BROKER_URL = re.compile(r"\b(?:rediss?|sentinel|amqps?|sqs)://[^\s'\"<>]+", re.IGNORECASE)


def redact_broker_urls(text: str) -> str:
    """`text` with every broker URL replaced by `<broker>` (even masked ones show hosts and ports)."""
    return BROKER_URL.sub("<broker>", text)


def install_log_redaction() -> None:
    """Make every log record of this process redact broker URLs when formatted (kombu and Flower log
    "Connected to redis://..." on their own loggers, so a record factory is the one place to catch it)."""
    factory = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        message = record.getMessage()
        redacted = redact_broker_urls(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    logging.setLogRecordFactory(redacting_factory)


def enable_task_events(app: Any) -> None:
    """Ask every running worker to send task events (a broadcast; no reply awaited)."""
    try:
        app.control.enable_events()
    except Exception as exc:  # the broker is unreachable: Flower reports it, its timer retries
        print(f"bosun flower: cannot enable task events yet: {type(exc).__name__}", flush=True)


def run_flower(args: argparse.Namespace) -> int:
    settings = get_settings()
    auth = basic_auth(settings, args.no_auth)
    import flower.options  # noqa: F401  (defines Flower's tornado options)
    from tornado.options import options

    options.basic_auth = auth
    options.enable_events = True  # workers' task events are off unless Flower (or BOSUN_TASK_EVENTS) asks
    install_log_redaction()
    if args.no_auth:
        os.environ["FLOWER_UNAUTHENTICATED_API"] = "true"  # Flower closes its API without any auth
        print("bosun flower: warning: running WITHOUT authentication (--no-auth)", flush=True)
    argv = ["--quiet", "flower", f"--port={args.port}", f"--address={args.address}"]
    if args.url_prefix:
        argv.append(f"--url_prefix={args.url_prefix}")
    from workers.celery_app import app

    enable_task_events(app)
    print(f"bosun flower: serving on http://{args.address}:{args.port}/{args.url_prefix}", flush=True)
    code = app.start(argv)
    return int(code or 0)
