"""Helpers running Bosun processes for tests: the API server in a thread (uvicorn, real HTTP) and
reading what landed on the Celery queues in Redis."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
import uvicorn

from gitops.registry import ApplicationRegistry
from gitops.settings import Settings
from scheduler.api.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def api_server(settings: Settings, registry: ApplicationRegistry | None = None) -> Iterator[str]:
    """Serve Bosun's API on an ephemeral loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, registry), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "API server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def queued_tasks(client: redis.Redis, prefix: str, queue: str) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting in a Celery queue, oldest first."""
    out = []
    for raw in reversed(client.lrange(f"{prefix}:celery:{queue}", 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out
