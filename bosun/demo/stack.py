"""The demo's parts, started as real processes under one temporary directory: Redis, kubesim clusters,
`git daemon`, and Bosun's server, workers, beat and Flower through the `bosun` CLI.

`DemoStack.close()` stops them in reverse order and removes the directory. A `BOSUN_REDIS_URL` in the
environment replaces the embedded Redis (keys under a fresh prefix); a `BOSUN_KUBECONFIG` replaces the
management kubesim (its current context is the `east` cluster; no second cluster is started).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from bosun.demo.processes import Child, DemoError, free_port, port_open

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "bin"


def tool(name: str) -> str:
    """A binary from PATH, else from .tools/bin (what scripts/bootstrap.sh installs)."""
    found = shutil.which(name) or shutil.which(name, path=str(TOOLS))
    if found is None:
        raise DemoError(f"{name} not found", target="PATH and .tools/bin", hint="run `make install` first")
    return found


@dataclass
class Credentials:
    """Generated for this run only; written to a 0600 file, never to the terminal."""

    read_token: str = field(default_factory=lambda: secrets.token_hex(18))
    write_token: str = field(default_factory=lambda: secrets.token_hex(18))
    flower_password: str = field(default_factory=lambda: secrets.token_hex(12))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(18))
    redis_password: str = field(default_factory=lambda: secrets.token_hex(18))
    kube_token: str = field(default_factory=lambda: secrets.token_hex(18))
    hmac_key: str = field(default_factory=lambda: secrets.token_hex(24))


class DemoStack:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bosun-demo-"))
        self.children: list[Child] = []
        self.creds = Credentials()
        self.redis_url = ""
        self.redis_prefix = f"demo{secrets.token_hex(3)}"
        self.management_kubeconfig = Path()
        self.api_url = ""
        self.flower_url = ""
        self.external_redis = False

    # --- lifecycle ---
    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        log = self.tmp / "logs" / f"{name}.log"
        log.parent.mkdir(exist_ok=True)
        child = Child(name, argv, log, env or self.base_env(), REPO)
        self.children.append(child)
        return child

    def close(self, keep_logs: Path | None = None) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        if self.external_redis:
            self._forget_keys()
        if keep_logs is not None and (self.tmp / "logs").is_dir():
            shutil.copytree(self.tmp / "logs", keep_logs, dirs_exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _forget_keys(self) -> None:
        """Delete every key this run wrote to an external Redis (all under its own prefix)."""
        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            batch = list(client.scan_iter(match=f"{self.redis_prefix}:*", count=500))
            while batch:
                client.delete(*batch[:500])
                batch = batch[500:]
        except redis.RedisError:
            pass
        finally:
            client.close()

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOSUN_", "FLOWER_", "KUBECONFIG"))}
        env["PATH"] = f"{TOOLS}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    # --- Redis ---
    def redis(self) -> str:
        external = os.environ.get("BOSUN_REDIS_URL")
        if external:
            self.redis_url = external
            redis.Redis.from_url(external, socket_timeout=5).ping()
            self.external_redis = True
            return f"from BOSUN_REDIS_URL (keys under {self.redis_prefix}:, deleted on exit)"
        port = free_port()
        data = self.tmp / "redis"
        data.mkdir()
        child = self.start("redis", [tool("redis-server"), "--bind", "127.0.0.1", "--port", str(port),
                                     "--requirepass", self.creds.redis_password, "--save", "",
                                     "--appendonly", "no", "--dir", str(data)])  # fmt: skip
        child.wait_until(lambda: port_open(port), "listening port", 20)
        self.redis_url = f"redis://:{self.creds.redis_password}@127.0.0.1:{port}/0"
        return f"redis-server on 127.0.0.1:{port} (password)"

    # --- clusters ---
    def kubesim(self, name: str) -> Path:
        kubeconfig = self.tmp / f"{name}.kubeconfig"
        child = self.start(f"kubesim-{name}", [sys.executable, "-m", "kubesim", "serve", "--port", "0",
                                               "--kubeconfig", str(kubeconfig), "--token", self.creds.kube_token, "--tls"])  # fmt: skip
        child.wait_until(lambda: kubeconfig.exists() and "serving" in child.text(), "kubeconfig", 60)
        return kubeconfig

    def management(self) -> str:
        external = os.environ.get("BOSUN_KUBECONFIG")
        if external:
            self.management_kubeconfig = Path(external)
        else:
            self.management_kubeconfig = self.kubesim("east")
        self.kubectl(self.management_kubeconfig, "apply", "--server-side", "--force-conflicts",
                     "-f", str(REPO / "deploy" / "crds" / "application-crd.yaml"),
                     "-f", str(REPO / "deploy" / "crds" / "appproject-crd.yaml"),
                     "-f", str(REPO / "deploy" / "crds" / "applicationset-crd.yaml"))  # fmt: skip
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bosun"}}
        self.kubectl(self.management_kubeconfig, "apply", "-f", "-", stdin=_json(namespace))
        if external:
            return f"from BOSUN_KUBECONFIG ({external}; its current context is `east`, the apps stay there)"
        return "kubesim `east` (management and in-cluster destination)"

    def kubectl(self, kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([tool("kubectl"), "--kubeconfig", str(kubeconfig), *args], input=stdin,
                              capture_output=True, text=True, timeout=120, env=self.base_env())  # fmt: skip
        if done.returncode != 0:
            raise DemoError(
                f"kubectl {' '.join(args[:2])} failed: {done.stderr.strip()}", target=str(kubeconfig)
            )
        return done.stdout

    # --- git ---
    def git_daemon(self, root: Path) -> str:
        port = free_port()
        child = self.start("git-daemon", [tool("git"), "daemon", "--reuseaddr", "--export-all",
                                          f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}",
                                          "--informative-errors", str(root)])  # fmt: skip
        child.wait_until(lambda: port_open(port), "listening port", 20)
        return f"git://127.0.0.1:{port}"

    # --- Bosun ---
    def bosun_env(self) -> dict[str, str]:
        c = self.creds
        return self.base_env() | {
            "BOSUN_REDIS_URL": self.redis_url, "BOSUN_REDIS_PREFIX": self.redis_prefix,
            "BOSUN_NAMESPACE": "bosun", "BOSUN_KUBECONFIG": str(self.management_kubeconfig),
            "BOSUN_API_READ_TOKEN": c.read_token, "BOSUN_API_WRITE_TOKEN": c.write_token,
            "BOSUN_API_URL": self.api_url, "BOSUN_API_TOKEN": c.write_token,
            "BOSUN_FLOWER_USER": "admin", "BOSUN_FLOWER_PASSWORD": c.flower_password,
            "BOSUN_TASK_EVENTS": "true",  # the demo runs Flower: task-sent events too (off by default)
            "BOSUN_WEBHOOK_GITHUB_SECRET": c.webhook_secret, "BOSUN_MANIFEST_CACHE_HMAC_KEY": c.hmac_key,
            "BOSUN_GIT_CACHE_DIR": str(self.tmp / "git-cache"), "XDG_CACHE_HOME": str(self.tmp / "cache"),
            "BOSUN_HELM_PATH": tool("helm"), "BOSUN_KUBECTL_PATH": tool("kubectl"),
            "BOSUN_TICK_SECONDS": "1", "BOSUN_REFRESH_INTERVAL_SECONDS": "20", "BOSUN_REFRESH_JITTER_SECONDS": "0",
            "BOSUN_SYNC_STEP_COUNTDOWN_SECONDS": "0.5", "BOSUN_LOCK_TTL_SECONDS": "10", "BOSUN_LOG_LEVEL": "INFO",
        }  # fmt: skip

    def bosun(self, name: str, *args: str) -> Child:
        return self.start(name, [sys.executable, "-m", "bosun.cli", *args], self.bosun_env())

    def control_plane(self, workers: int = 2) -> None:
        api_port, flower_port = free_port(), free_port()
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.flower_url = f"http://127.0.0.1:{flower_port}"
        server = self.bosun("server", "server", "--host", "127.0.0.1", "--port", str(api_port))
        started = [self.bosun(f"worker-{i}", "worker", "--queues", "refresh,sync", "--concurrency", "2",
                              "--hostname", f"demo-worker-{i}@%h") for i in range(1, workers + 1)]  # fmt: skip
        beat = self.bosun("beat", "beat", "--schedule-file", str(self.tmp / "beat-schedule"))
        flower = self.bosun("flower", "flower", "--address", "127.0.0.1", "--port", str(flower_port))
        server.wait_until(lambda: _healthy(f"{self.api_url}/healthz"), "healthy /healthz", 90)
        for worker in started:
            worker.wait_until(lambda w=worker: " ready." in w.text(), "'ready.' line", 90)  # type: ignore[misc]
        flower.wait_until(lambda: port_open(flower_port), "listening port", 60)
        time.sleep(0.5)
        if not beat.alive():
            raise DemoError(f"bosun beat exited: {beat.tail()}", target=str(beat.log))

    def write_credentials(self) -> Path:
        """A 0600 shell file exporting what `bosun` needs to talk to this stack, plus Flower's login."""
        path = self.tmp / "env.sh"
        path.touch(mode=0o600)
        path.write_text(
            f"export BOSUN_API_URL={self.api_url}\nexport BOSUN_API_TOKEN={self.creds.write_token}\n"
            f"# Flower {self.flower_url}: user admin, password {self.creds.flower_password}\n"
        )
        return path


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _json(obj: object) -> str:
    import json

    return json.dumps(obj)
