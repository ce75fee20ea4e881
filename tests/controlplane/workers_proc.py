"""Real Celery worker and beat subprocesses for control-plane tests (never eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class CeleryProcess:
    """A `celery worker` or `celery beat` subprocess with its log file; stop() ends it by its pid."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", *args], env=env, cwd=REPO, stdout=self._file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"celery exited with {self.proc.returncode}:\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not seen in celery log:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._file.close()


def bosun_env(redis_url: str, prefix: str, kubeconfig: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOSUN_")}
    env |= {"BOSUN_REDIS_URL": redis_url, "BOSUN_REDIS_PREFIX": prefix, "BOSUN_NAMESPACE": "bosun",
            "PYTHONPATH": str(REPO), "BOSUN_LOCK_TTL_SECONDS": "3"}  # fmt: skip
    if kubeconfig is not None:
        env["BOSUN_KUBECONFIG"] = str(kubeconfig)
    env |= {f"BOSUN_{k.upper()}": v for k, v in extra.items()}
    return env


def start_worker(
    env: dict[str, str],
    log: Path,
    name: str,
    concurrency: int = 2,
    queues: str = "refresh,sync",
    app: str = "tests.controlplane.probe_worker",
) -> CeleryProcess:
    worker = CeleryProcess(
        ["-A", app, "worker", "-Q", queues, "-c", str(concurrency), "-n", f"{name}@%h",
         "--without-mingle", "--without-gossip", "-l", "INFO"],
        env, log,
    )  # fmt: skip
    worker.wait_for("ready.")
    return worker


def start_beat(env: dict[str, str], log: Path, workdir: Path) -> CeleryProcess:
    beat = CeleryProcess(
        ["-A", "workers.celery_app", "beat", "-l", "INFO", "-s", str(workdir / "beat-schedule"),
         "--pidfile", str(workdir / "beat.pid")],
        env, log,
    )  # fmt: skip
    beat.wait_for("beat: Starting")
    return beat
