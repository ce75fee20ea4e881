"""Running kubesim: build the ASGI stack (Api, HTTP app, auth and fault middleware), serve it with uvicorn
(httptools + uvloop), write the kubeconfig once connections are accepted, exit cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from kubesim import kubeconfig, tls
from kubesim.api import Api
from kubesim.http.app import KubeApp

log = logging.getLogger("kubesim")


@dataclass
class ServerOptions:
    port: int = 0
    host: str = "127.0.0.1"
    kubeconfig: Path | None = None
    token: str | None = None
    read_only_token: str | None = None
    tls: bool = False
    controller_delay: float = 0.2
    controllers: bool = True
    watch_window: int = 10_000
    bookmark_interval: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Running:
    """What a started server exposes: its URL, kubeconfig path, the Api and the ASGI app."""

    url: str
    kubeconfig: Path | None
    api: Api
    app: Any
    ca_pem: bytes | None = None
    controllers: Any = None


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after shutdown (exit status -15); kubesim handles them itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def build_stack(options: ServerOptions, api: Api, server_address: str) -> tuple[Any, Any]:
    """The ASGI app with middleware, and the controller manager (None when that module is absent)."""
    app: Any = KubeApp(api, server_address=server_address, bookmark_interval=options.bookmark_interval)
    controllers = None
    ctl_mod = _optional("kubesim.controllers")
    if ctl_mod is not None and hasattr(ctl_mod, "ControllerManager"):
        controllers = ctl_mod.ControllerManager(
            api, delay=options.controller_delay, paused=not options.controllers
        )
        controllers.start()
    faults = _optional("kubesim.middleware.faults")
    if faults is not None and hasattr(faults, "wrap"):
        app = faults.wrap(app, api=api, controllers=controllers)
    auth = _optional("kubesim.middleware.auth")
    if auth is not None and hasattr(auth, "wrap") and (options.token or options.read_only_token):
        app = auth.wrap(app, token=options.token, read_only_token=options.read_only_token)
    return app, controllers


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def serve(
    options: ServerOptions,
    on_ready: Callable[[Running], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (main thread) or until `stop` is set."""
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    scheme = "https" if options.tls else "http"
    url = f"{scheme}://{options.host}:{port}"
    api = Api(watch_window=options.watch_window)
    if api.ext.missing:
        log.info("kubesim: built-in fallbacks stand in for %s", ", ".join(api.ext.missing))
    app, controllers = build_stack(options, api, f"{options.host}:{port}")
    tls_files = None
    ssl_args: dict[str, Any] = {}
    if options.tls:
        tls_files = tls.generate(Path(tempfile.mkdtemp(prefix="kubesim-tls-")))
        ssl_args = {"ssl_certfile": str(tls_files.cert_path), "ssl_keyfile": str(tls_files.key_path)}
    config = uvicorn.Config(
        app,
        loop="none",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
        **ssl_args,
    )
    server = _Server(config)
    running = Running(url, options.kubeconfig, api, app, tls_files.ca_pem if tls_files else None, controllers)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.01)
        if options.kubeconfig is not None:
            text = kubeconfig.render(url, token=options.token, ca_pem=running.ca_pem)
            kubeconfig.write(options.kubeconfig, text)
        if on_ready is not None:
            on_ready(running)

    async def watch_stop() -> None:
        if stop is not None:
            await stop.wait()
            api.store.close_watches()  # end open watch streams now rather than after the grace period
            server.should_exit = True

    tasks = [asyncio.ensure_future(announce()), asyncio.ensure_future(watch_stop())]
    try:
        await server.serve(sockets=[sock])
    finally:
        api.store.close_watches()
        if controllers is not None and hasattr(controllers, "stop"):
            controllers.stop()
        for task in tasks:
            task.cancel()
        sock.close()


def run(options: ServerOptions, on_ready: Callable[[Running], None] | None = None) -> None:
    """Blocking entry point for the CLI: uvloop when available."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve_until_signal(options, on_ready))


async def _serve_until_signal(options: ServerOptions, on_ready: Callable[[Running], None] | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    await serve(options, on_ready=on_ready, stop=stop)
