"""Starting kubesim from tests: in a background thread of the test process, or as a subprocess; the handle
gives the URL, the kubeconfig path, configured `kubernetes` clients and the admin controls."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kubesim.api import Api
from kubesim.server import Running, ServerOptions, serve

T = TypeVar("T")


@dataclass
class KubesimServer:
    """A running kubesim. `running` (the in-process Api and app) is set only in thread mode."""

    url: str
    kubeconfig: Path
    token: str | None = None
    running: Running | None = None
    _stop: Any = None
    process: subprocess.Popen[bytes] | None = None  # set in subprocess mode
    _loop: Any = None  # the server's event loop, in thread mode
    _clients: list[Any] = field(default_factory=list)

    def api_client(self, token: str | None = None) -> Any:
        """A `kubernetes.client.ApiClient` configured from the kubeconfig (optionally with another token)."""
        from kubernetes import client as k8s
        from kubernetes import config

        configuration = k8s.Configuration()
        config.load_kube_config(str(self.kubeconfig), context="kubesim", client_configuration=configuration)
        if token is not None:
            configuration.refresh_api_key_hook = None  # would reload the kubeconfig's token
            configuration.api_key = {"BearerToken": f"Bearer {token}"}
        client = k8s.ApiClient(configuration)
        self._clients.append(client)
        return client

    def dynamic_client(self, token: str | None = None) -> Any:
        from kubernetes.dynamic import DynamicClient

        return DynamicClient(self.api_client(token))

    @property
    def admin(self) -> Any:
        """Fault injection and controller control through the admin endpoint (kubesim.middleware.faults)."""
        import importlib

        faults = importlib.import_module("kubesim.middleware.faults")
        return faults.AdminClient(self.url, token=self.token)

    def call(self, fn: Callable[[Api], T], timeout: float = 10.0) -> T:
        """Run `fn(api)` on the server's event loop (thread mode): the safe way to use the in-process Api."""
        if self.running is None or self._loop is None:
            raise RuntimeError("call() needs a kubesim started in a thread (start_thread / kubesim_server)")
        future = concurrent.futures.Future[T]()

        def run() -> None:
            try:
                future.set_result(fn(self.running.api))  # type: ignore[union-attr]
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def stop(self) -> None:
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        self._clients.clear()
        if self._stop is not None:
            self._stop()
            self._stop = None


def start_thread(directory: Path | None = None, timeout: float = 20.0, **options: Any) -> KubesimServer:
    """Serve in a daemon thread with its own event loop; returns once connections are accepted."""
    directory = Path(directory or tempfile.mkdtemp(prefix="kubesim-"))
    opts = ServerOptions(kubeconfig=directory / "kubeconfig", **options)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def on_ready(running: Running) -> None:
        holder["running"] = running
        ready.set()

    def main() -> None:
        try:
            import uvloop

            factory: Any = uvloop.new_event_loop
        except ImportError:
            factory = None
        with asyncio.Runner(loop_factory=factory) as runner:
            loop = runner.get_loop()
            stop = asyncio.Event()
            holder["loop"], holder["stop"] = loop, stop
            try:
                runner.run(serve(opts, on_ready=on_ready, stop=stop))
            except BaseException as exc:
                holder["error"] = exc
                ready.set()

    thread = threading.Thread(target=main, name="kubesim", daemon=True)
    thread.start()
    if not ready.wait(timeout) or "error" in holder:
        raise RuntimeError(f"kubesim did not start: {holder.get('error', 'timeout')}")
    running: Running = holder["running"]

    def stop() -> None:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)

    return KubesimServer(
        running.url,
        opts.kubeconfig or directory / "kubeconfig",
        opts.token,
        running,
        stop,
        _loop=holder["loop"],
    )


def start_subprocess(directory: Path | None = None, timeout: float = 30.0, cpu: int | None = None,
                     extra_args: tuple[str, ...] = (), **options: Any) -> KubesimServer:  # fmt: skip
    """`python -m kubesim serve` in a child process; returns once the kubeconfig is written."""
    directory = Path(directory or tempfile.mkdtemp(prefix="kubesim-"))
    kubeconfig = directory / "kubeconfig"
    args = [sys.executable, "-m", "kubesim", "serve", "--port", str(options.get("port", 0)),
            "--kubeconfig", str(kubeconfig), *extra_args]  # fmt: skip
    if options.get("token"):
        args += ["--token", options["token"]]
    if options.get("read_only_token"):
        args += ["--read-only-token", options["read_only_token"]]
    if options.get("tls"):
        args.append("--tls")
    if "controller_delay" in options:
        args += ["--controller-delay", str(options["controller_delay"])]
    if cpu is not None:
        args += ["--cpu", str(cpu)]
    proc = subprocess.Popen(args, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + timeout
    while not kubeconfig.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"kubesim subprocess did not start (exit status {proc.poll()})")
        time.sleep(0.02)
    import yaml

    url = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    return KubesimServer(url, kubeconfig, options.get("token"), None, stop, process=proc)


@contextlib.contextmanager
def running(
    directory: Path | None = None, *, subprocess: bool = False, **options: Any
) -> Iterator[KubesimServer]:
    """`with running(tmp_path) as server:` — a kubesim for the duration of the block."""
    server = start_subprocess(directory, **options) if subprocess else start_thread(directory, **options)
    try:
        yield server
    finally:
        server.stop()
