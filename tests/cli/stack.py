"""A running Bosun stack for CLI tests, every part a real process or server: a private redis-server,
kubesim with Bosun's CRDs, a git repository on loopback, `bosun server` and `bosun worker`
subprocesses (started through the CLI itself), and a runner for `bosun ...` commands.

Workers run either the real engine (test_engine_cli: git -> kubesim) or the control-plane probe
Reconciler (`--include tests.controlplane.probe_worker`), which makes timing and outcomes of the
CLI -> API -> queue -> worker -> status path controllable.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import httpx

from bosun.cli import main
from gitops.registry import ApplicationRegistry
from gitops.settings import get_settings

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "bin"
READ_TOKEN = "cli-read-token-5f1c"
WRITE_TOKEN = "cli-write-token-9a2e"
FLOWER_PASSWORD = "flower-pass-77d0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _stdin(text: str | None) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text or "")
    try:
        yield
    finally:
        sys.stdin = saved


class BosunProcess:
    """`bosun ARGS` running in the background with its log file; stop() ends it by its process group."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bosun.cli", *args], env=env, cwd=REPO, stdout=self._file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, ready: str | None = None, url: str | None = None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if ready is not None and ready in self.text():
                return
            if url is not None:
                try:
                    if httpx.get(url, timeout=1).status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
            if self.proc.poll() is not None:
                raise AssertionError(f"bosun exited with {self.proc.returncode}:\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"bosun not ready:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._file.close()


class CliStack:
    """Environment and processes of one stack; `bosun(...)` runs one CLI command against it."""

    def __init__(self, redis_url: str, prefix: str, kubeconfig: Path, tmp: Path) -> None:
        self.tmp = tmp
        self.redis_url = redis_url
        self.prefix = prefix
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("BOSUN_", "FLOWER_"))}
        self.env = base | {
            "PYTHONPATH": str(REPO), "BOSUN_REDIS_URL": redis_url, "BOSUN_REDIS_PREFIX": prefix,
            "BOSUN_NAMESPACE": "bosun", "BOSUN_KUBECONFIG": str(kubeconfig),
            "BOSUN_API_READ_TOKEN": READ_TOKEN, "BOSUN_API_WRITE_TOKEN": WRITE_TOKEN,
            "BOSUN_API_URL": self.api_url, "BOSUN_API_TOKEN": WRITE_TOKEN,
            "BOSUN_LOCK_TTL_SECONDS": "3", "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.2", "BOSUN_REFRESH_JITTER_SECONDS": "0",
            "BOSUN_FLOWER_PASSWORD": FLOWER_PASSWORD, "BOSUN_FLOWER_USER": "ops",
            "BOSUN_GIT_CACHE_DIR": str(tmp / "git-cache"), "XDG_CACHE_HOME": str(tmp / "cache"),
            "BOSUN_MANIFEST_CACHE_HMAC_KEY": "cli-manifest-hmac-key-0123456789",
            "BOSUN_KUBECTL_PATH": str(TOOLS / "kubectl"), "BOSUN_HELM_PATH": str(TOOLS / "helm"),
        }  # fmt: skip
        self.processes: list[BosunProcess] = []
        self.registry: ApplicationRegistry | None = None  # set by the fixture (kubesim's Applications)

    def start(self, args: list[str], log_name: str, env: dict[str, str] | None = None) -> BosunProcess:
        proc = BosunProcess(args, env or self.env, self.tmp / f"{log_name}.log")
        self.processes.append(proc)
        return proc

    def server(self) -> BosunProcess:
        proc = self.start(["server", "--port", str(self.api_port)], "server")
        proc.wait_for(url=f"{self.api_url}/healthz")
        return proc

    def worker(self, name: str, probe: bool = True) -> BosunProcess:
        """`bosun worker`; with `probe` it loads the control-plane probe Reconciler, else the real engine."""
        args = ["worker", "--queues", "refresh,sync", "--concurrency", "2", "--hostname", f"{name}@%h"]
        if probe:
            args += ["--include", "tests.controlplane.probe_worker"]
        proc = self.start(args, name)
        proc.wait_for(ready="ready.")
        return proc

    def bosun(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `bosun ARGS` in this process (`bosun.cli.main`, real HTTP to the stack's server) with the
        stack's environment; exit code, stdout and stderr kept apart as for a process."""
        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env | (env or {}))
        get_settings.cache_clear()
        try:
            with redirect_stdout(out), redirect_stderr(err), _stdin(stdin):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse usage errors
                    code = int(exc.code or 0)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
        return subprocess.CompletedProcess(["bosun", *args], code, out.getvalue(), err.getvalue())

    def bosun_process(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run `bosun ARGS` to completion as its own process (`python -m bosun.cli`)."""
        return subprocess.run(
            [sys.executable, "-m", "bosun.cli", *args], env=self.env | (env or {}), cwd=REPO,
            capture_output=True, text=True, timeout=timeout, input=stdin,
        )  # fmt: skip

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
