"""Child processes of the demo: each in its own session (Ctrl-C reaches only the demo, which stops
them in order), output to a log file, stopped by process group: SIGTERM, then SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from gitops.errors import DemoError

__all__ = ["Child", "DemoError", "free_port", "port_open"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Child:
    """One started process: `name` for messages, its log file, and how to stop it."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=self._file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        """Poll `ready` until true; DemoError if the process exits or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.alive():
                raise DemoError(
                    f"{self.name} exited with code {self.proc.returncode} before {what}",
                    target=str(self.log),
                    hint=f"its last output:\n{self.tail()}",
                )
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{self.name}: no {what} after {timeout:g}s", target=str(self.log), hint=self.tail()
                )
            time.sleep(0.1)

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=grace)
            except ProcessLookupError:
                pass
        else:  # the leader exited: children left in its group (prefork workers) must go too
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._file.close()


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
