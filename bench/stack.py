"""The real Bosun stack for end-to-end benchmarks, every part a process on loopback.

`Stack(workdir, workers=W)` starts, on ephemeral ports in temp dirs: a private password-protected
redis-server (keyspace notifications on, so the harness can count ls-remotes and renders), kubesim
(`python -m kubesim serve`) with Bosun's CRDs and the `bosun` namespace, a `git daemon` serving
`workdir/git/served`, the API server (`bosun server`), optionally the beat (`bosun beat`), and W
worker processes (`bosun worker`, prefork with `concurrency` children each).

`cpu_seconds()` reads utime+stime (and the reaped children's cutime+cstime) from /proc/<pid>/stat for
every process kind, live descendants included (prefork children, git upload-pack), so the engine's
cost can be told from the simulator's. `stop()` ends only the processes it started, by pid.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from kubesim.testing import KubesimServer, start_subprocess

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(c) for c in text.split())
    except OSError:
        pass
    return found


def _own_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of one process, in seconds (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its live descendants (dead ones are in their parent's c-times)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += _own_cpu(current)
        todo.extend(_children(current))
    return total


def tree_rss_mb(pid: int) -> list[float]:
    """Resident set size (MB) of a process and each live descendant."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
        todo.extend(_children(current))
    return out


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@bosun.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@bosun.invalid"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def _bosun_cmd() -> list[str]:
    script = Path(sys.executable).parent / "bosun"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bosun.cli import main; sys.exit(main())"]


class Stack:
    """The running stack; see the module docstring. Use as a context manager or call stop()."""

    def __init__(self, workdir: Path, *, workers: int = 1, concurrency: int = 2, beat: bool = False,
                 env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.workdir = workdir
        self.prefix = "bench"
        self.password = secrets.token_hex(12)
        self.webhook_secret = secrets.token_hex(12)
        self.api_token = secrets.token_hex(12)
        self.procs: dict[str, list[subprocess.Popen[bytes]]] = {}
        self._logs: list[Any] = []
        self.kubesim: KubesimServer | None = None
        if threading.current_thread() is threading.main_thread():  # SIGTERM still stops what we started
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self._start(workers, concurrency, beat, env or {})
        except BaseException:
            self.stop()
            raise

    # --- startup ---
    def _start(self, workers: int, concurrency: int, beat: bool, extra: dict[str, str]) -> None:
        self._start_redis()
        self.kubesim = start_subprocess(self.workdir / "kubesim")
        self.procs["kubesim"] = [self.kubesim.process]  # type: ignore[list-item]
        self._install_crds()
        self._start_git()
        self.api_port = free_port()
        self.env = self._env(extra)
        self.spawn("api", ["server", "--host", "127.0.0.1", "--port", str(self.api_port)])
        self._wait_port(self.api_port, "api")
        for n in range(workers):
            self.add_worker(concurrency, f"w{n}")
        if beat:
            self.start_beat()

    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server must be on PATH"
        self.redis_port = free_port()
        (self.workdir / "redis").mkdir(parents=True)
        proc = subprocess.Popen(
            [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--requirepass", self.password,
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir / "redis"),
             "--notify-keyspace-events", "K$"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs["redis"] = [proc]
        self.redis = redis.Redis(port=self.redis_port, password=self.password)
        self.redis_text = redis.Redis(port=self.redis_port, password=self.password, decode_responses=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.redis.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.redis_port}/0"

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        assert self.kubesim is not None
        binary = REPO / ".tools" / "bin" / "kubectl"
        env = {**os.environ, "KUBECONFIG": str(self.kubesim.kubeconfig)}
        done = subprocess.run([str(binary) if binary.exists() else "kubectl", *args], env=env,
                              capture_output=True, text=True, input=stdin, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def _install_crds(self) -> None:
        for crd in sorted((REPO / "deploy" / "crds").glob("*-crd.yaml")):
            self.kubectl("apply", "-f", str(crd))
        jsonpath = '{.status.conditions[?(@.type=="Established")].status}'
        deadline = time.monotonic() + 30
        while self.kubectl("get", "crd", "applications.argoproj.io", "-o", f"jsonpath={jsonpath}") != "True":
            assert time.monotonic() < deadline, "CRDs not Established"
            time.sleep(0.05)
        for ns in ("bosun", "bench"):
            self.kubectl(
                "apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
            )
        project = ("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default, namespace: bosun}\n"
                   "spec:\n  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n"
                   "  clusterResourceWhitelist: [{group: '*', kind: '*'}]\n")  # fmt: skip
        self.kubectl("apply", "-f", "-", stdin=project)

    def _start_git(self) -> None:
        self.git_root = self.workdir / "git" / "served"
        self.git_root.mkdir(parents=True)
        self.git_port = free_port()
        log = (self.workdir / "git-daemon.log").open("wb")
        self._logs.append(log)
        proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--verbose", "--export-all", "--listen=127.0.0.1",
             f"--port={self.git_port}", f"--base-path={self.git_root}", str(self.git_root)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **GIT_ENV},
        )  # fmt: skip
        self.procs["git"] = [proc]
        self._wait_port(self.git_port, "git")

    def git_requests(self) -> int:
        """upload-pack connections served so far (each ls-remote or fetch is one)."""
        text = (self.workdir / "git-daemon.log").read_text(errors="replace")
        return text.count("Request upload-pack")

    def git_url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.git_port}/{name}.git"

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        assert self.kubesim is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOSUN_")}
        tools = REPO / ".tools" / "bin"
        env |= {"BOSUN_REDIS_URL": self.redis_url, "BOSUN_REDIS_PREFIX": self.prefix, "BOSUN_NAMESPACE": "bosun",
                "BOSUN_KUBECONFIG": str(self.kubesim.kubeconfig), "PYTHONPATH": str(REPO),
                "BOSUN_GIT_CACHE_DIR": str(self.workdir / "git-cache"), "BOSUN_LOG_LEVEL": "WARNING",
                "BOSUN_TICK_SECONDS": "1",
                "BOSUN_WEBHOOK_GITHUB_SECRET": self.webhook_secret, "BOSUN_API_WRITE_TOKEN": self.api_token,
                "BOSUN_API_READ_TOKEN": self.api_token, "BOSUN_MANIFEST_CACHE_HMAC_KEY": secrets.token_hex(16),
                "PATH": f"{tools}:{env.get('PATH', '')}", **GIT_ENV}  # fmt: skip
        if (tools / "helm").exists():
            env |= {"BOSUN_HELM_PATH": str(tools / "helm"), "BOSUN_KUBECTL_PATH": str(tools / "kubectl")}
        return env | extra

    def spawn(self, kind: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{kind}-{len(self.procs.get(kind, []))}.log").open("wb")
        self._logs.append(log)
        proc = subprocess.Popen([*_bosun_cmd(), *args], env=self.env, cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs.setdefault(kind, []).append(proc)
        return proc

    def add_worker(self, concurrency: int, name: str) -> None:
        """Start one worker process and wait until it answers a remote-control ping."""
        from gitops.settings import Settings
        from workers.celery_app import make_celery

        proc = self.spawn("workers", ["worker", "-c", str(concurrency), "-n", f"{name}@%h"])
        settings = Settings(redis_url=self.redis_url, redis_prefix=self.prefix)
        control = make_celery(settings).control
        node = f"{name}@{socket.gethostname()}"
        deadline = time.monotonic() + 60
        while not control.ping(destination=[node], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{self.logs_tail('workers')}")

    def start_beat(self) -> None:
        self.spawn("beat", ["beat", "--schedule-file", str(self.workdir / "beat-schedule")])

    def _wait_port(self, port: int, what: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{what} did not listen on {port}:\n{self.logs_tail(what)}")

    # --- figures ---
    def cpu_seconds(self) -> dict[str, float]:
        return {kind: round(sum(tree_cpu(p.pid) for p in procs), 2) for kind, procs in self.procs.items()}

    def worker_rss_mb(self) -> list[float]:
        return [round(sum(tree_rss_mb(p.pid)), 1) for p in self.procs.get("workers", [])]

    def logs_tail(self, kind: str, chars: int = 3000) -> str:
        return "".join(
            p.read_text(errors="replace")[-chars:] for p in sorted(self.workdir.glob(f"{kind}-*.log"))
        )

    # --- shutdown ---
    def stop(self) -> None:
        for kind in ("beat", "workers", "api", "git"):
            for proc in self.procs.get(kind, []):
                _end(proc, group=kind != "git")
        if self.kubesim is not None:
            self.kubesim.stop()
        for proc in self.procs.get("redis", []):
            _end(proc, group=False)
        for log in self._logs:
            log.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)


def _end(proc: subprocess.Popen[bytes], group: bool) -> None:
    if proc.poll() is not None:
        return
    kill = (lambda s: os.killpg(proc.pid, s)) if group else proc.send_signal
    try:
        kill(signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill(signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@contextmanager
def cpu_window(stack: Stack) -> Iterator[dict[str, float]]:
    """Yields a dict filled, on exit, with the CPU seconds each process kind spent inside the block."""
    before = stack.cpu_seconds()
    out: dict[str, float] = {}
    yield out
    after = stack.cpu_seconds()
    out.update({kind: round(after[kind] - before.get(kind, 0.0), 2) for kind in after})
