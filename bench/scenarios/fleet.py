"""Shared pieces of the end-to-end scenarios: a generated repository of N app paths, N Applications,
waiting for Synced/Healthy through the hot status in Redis, and counters of ls-remotes and renders.

Counting: the stack's redis-server publishes keyspace events; every ls-remote stores the repository's
ref list (`<prefix>:refs:*`) and every render stores a manifest cache entry (`<prefix>:manifests:*`),
so the SET events on those keys count them without touching Bosun's code.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import redis

from bench.stack import Stack, git
from gitops.coordination import RefreshRequests
from gitops.keys import Keys
from gitops.registry import ApplicationRegistry
from gitops.settings import Settings
from workers.celery_app import make_celery
from workers.enqueue import request_refresh

FILLER = "x" * 1900  # a ConfigMap of about 2 KB
REPO_NAME = "apps"


def add_common(parser: argparse.ArgumentParser, apps: int, workers: int = 2) -> None:
    parser.add_argument("--apps", type=int, default=apps, help="number of Applications")
    parser.add_argument("--workers", type=int, default=workers, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork children per worker")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs here (default: a temp dir)")


def app_name(i: int) -> str:
    return f"app-{i:05d}"


def configmap(i: int, version: str = "1") -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:05d}\ndata:\n"
            f"  version: \"{version}\"\n  filler: {FILLER}\n")  # fmt: skip


def flux_objects(i: int) -> str:
    n = f"web-{i:05d}"
    return f"""apiVersion: v1
kind: ServiceAccount
metadata: {{name: {n}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {n}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: {n}}}}}
  template:
    metadata: {{labels: {{app: {n}}}}}
    spec:
      serviceAccountName: {n}
      containers: [{{name: web, image: "nginx:1.27", ports: [{{containerPort: 8080}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {n}}}
spec:
  selector: {{app: {n}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {n}}}
spec:
  rules:
  - host: {n}.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {{service: {{name: {n}, port: {{number: 80}}}}}}
"""


class Fleet:
    """The generated repository and the Applications of one scenario run."""

    def __init__(self, stack: Stack, apps: int, render: Callable[[int], str] = configmap) -> None:
        self.stack = stack
        self.names = [app_name(i) for i in range(apps)]
        self.keys = Keys(stack.prefix)
        self.work = stack.workdir / "git" / "work" / REPO_NAME
        bare = stack.git_root / f"{REPO_NAME}.git"
        git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
        git("init", "--quiet", "--initial-branch=main", str(self.work))
        for i in range(apps):
            path = self.work / "apps" / app_name(i)
            path.mkdir(parents=True)
            (path / "objects.yaml").write_text(render(i))
        self.head = self.commit("initial")
        assert stack.kubesim is not None
        self.api_client = stack.kubesim.api_client()
        self.registry = ApplicationRegistry(self.api_client, "bosun")
        settings = Settings(redis_url=stack.redis_url, redis_prefix=stack.prefix)
        self.celery = make_celery(settings)
        self.refreshes = RefreshRequests(stack.redis, self.keys)
        self.harness_commands = 0  # Redis commands the harness itself sent (polling), to subtract

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        for rel, text in (files or {}).items():
            (self.work / rel).write_text(text)
        git("add", "--all", cwd=self.work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.work)
        git(
            "push", "--quiet", "--force", str(self.stack.git_root / f"{REPO_NAME}.git"), "main", cwd=self.work
        )
        return git("rev-parse", "HEAD", cwd=self.work)

    def application(self, i: int, automated: bool = True) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "project": "default",
            "source": {"repoURL": self.stack.git_url(REPO_NAME), "targetRevision": "main",
                       "path": f"apps/{app_name(i)}"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "bench"},
        }  # fmt: skip
        if automated:
            spec["syncPolicy"] = {"automated": {"prune": True, "selfHeal": True}}
        annotations = {"argocd.argoproj.io/manifest-generate-paths": "."}
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": app_name(i), "annotations": annotations}, "spec": spec}  # fmt: skip

    def create_apps(self, automated: bool = True) -> float:
        """Create every Application (8 client threads); returns the seconds it took."""
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda i: self.registry.create(self.application(i, automated)), range(len(self.names))
                )
            )
        return time.perf_counter() - started

    def refresh_all(self, names: Iterable[str] | None = None) -> int:
        """Request one refresh per app through the coalescing markers, as the beat's tick does."""
        return sum(request_refresh(self.celery, self.refreshes, n) for n in (names or self.names))

    def statuses(self, names: Sequence[str] | None = None) -> list[tuple[str, int, dict[str, Any] | None]]:
        """(name, fence, hot status doc) of every app (or of `names`), from Redis in one pipeline."""
        names = self.names if names is None else names
        pipe = self.stack.redis.pipeline(transaction=False)
        self.harness_commands += len(names)
        for name in names:
            pipe.hmget(self.keys.app_status(name), "fence", "doc")
        out = []
        for name, (fence, doc) in zip(names, pipe.execute(), strict=True):
            out.append((name, int(fence or 0), orjson.loads(doc) if doc else None))
        return out

    def wait(
        self, done: Callable[[str, int, dict[str, Any] | None], bool], timeout: float, what: str
    ) -> float:
        """Seconds until `done` holds for every app; raises TimeoutError naming how many are left."""
        started = time.perf_counter()
        left = list(self.names)
        while True:  # only the apps not there yet are read again (the harness shares the cores)
            left = [n for n, f, d in self.statuses(left) if not done(n, f, d)]
            if not left:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{what}: {len(left)} of {len(self.names)} apps not there after {timeout:.0f} s "
                                   f"(first: {left[0]}); worker log tail:\n{self.stack.logs_tail('workers')}")  # fmt: skip
            time.sleep(0.5)


def synced_healthy(_name: str, _fence: int, doc: dict[str, Any] | None) -> bool:
    if not doc:
        return False
    return (doc.get("sync") or {}).get("status") == "Synced" and (doc.get("health") or {}).get(
        "status"
    ) == "Healthy"


class KeyspaceCounter:
    """Counts renders (SET events on the manifest cache) and ls-remotes (the workers' own counter
    `git_requests_total{type="ls-remote"}` in the stats hash: the ref-list cache is also written by a
    signed webhook's push, which is no ls-remote)."""

    def __init__(self, stack: Stack) -> None:
        self.counts = {"ls_remote": 0, "renders": 0}
        self._stats = (stack.redis, Keys(stack.prefix).stats())
        self._lock = threading.Lock()
        self._client = redis.Redis(port=stack.redis_port, password=stack.password)  # kept: GC would close it
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        base = "__keyspace@0__:*"  # any prefix: a part not passed the configured prefix still counts
        self._pubsub.psubscribe(**{f"{base}:manifests:*": self._on_manifests})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def _bump(self, name: str, message: dict[str, Any]) -> None:
        if message.get("data") in (b"set", "set"):
            with self._lock:
                self.counts[name] += 1

    def _on_manifests(self, message: dict[str, Any]) -> None:
        self._bump("renders", message)

    def snapshot(self) -> dict[str, int]:
        time.sleep(0.2)  # let the last notifications arrive
        client, key = self._stats
        fields = client.hgetall(key) or {}
        ls_remotes = sum(
            int(float(v)) for k, v in fields.items()
            if (k.decode() if isinstance(k, bytes) else str(k)).startswith("git:git_requests_total:")
            and "type=ls-remote" in (k.decode() if isinstance(k, bytes) else str(k))
        )  # fmt: skip
        with self._lock:
            return {**self.counts, "ls_remote": ls_remotes}

    def close(self) -> None:
        self._thread.stop()  # the thread closes the pubsub connection on its way out
        self._thread.join(timeout=2)


def redis_commands(stack: Stack) -> int:
    """Commands the redis-server processed so far (INFO stats)."""
    return int(stack.redis.info("stats")["total_commands_processed"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


@contextmanager
def running_stack(args: argparse.Namespace, workers: int | None = None, beat: bool = False,
                  env: dict[str, str] | None = None) -> Iterator[Stack]:  # fmt: skip
    """A Stack in `args.workdir` (kept) or a temp dir (removed after)."""
    count = args.workers if workers is None else workers
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        with Stack(Path(tempfile.mkdtemp(dir=args.workdir)), workers=count, concurrency=args.concurrency,
                   beat=beat, env=env) as stack:  # fmt: skip
            yield stack
        return
    with (
        tempfile.TemporaryDirectory(prefix="bosun-bench-") as tmp,
        Stack(Path(tmp), workers=count, concurrency=args.concurrency, beat=beat, env=env) as stack,
    ):
        yield stack


def synced_fleet(stack: Stack, apps: int, timeout: float, render: Callable[[int], str] = configmap) -> Fleet:
    """A fleet whose apps were created, refreshed and are all Synced and Healthy."""
    fleet = Fleet(stack, apps, render)
    fleet.create_apps()
    fleet.refresh_all()
    fleet.wait(synced_healthy, timeout, "initial sync")
    return fleet
