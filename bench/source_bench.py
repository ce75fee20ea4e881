"""`python -m bench source --json`: git figures of the source layer for N apps on one repository.

Real parts: a repository served by `git http-backend` on loopback (tests/gitserver.py), a private
redis-server as the shared revision cache, several resolvers (simulated workers) in threads.

Figures:
- `ls_remote_calls_cold_cycle`: ls-remote calls of a first cycle with an empty cache (metrics and the
  server's own count), to compare with `distinct_repo_ref_pairs` and `distinct_repos` (the cache holds
  a repository's whole ref list, so a cycle costs one call per repository, at most one per pair);
- `ls_remote_calls_warm_cycles` (4 more cycles within the TTL: 0) and `ls_remote_calls_after_ttl` (1 per repository);
- `resolve_ms_warm_{mean,p50,p99}`: time to resolve one app's targetRevision with a warm cache
  (apps one after another), `resolves_per_second_warm_concurrent` with `--threads` at once;
- `snapshot_ms_first` and `snapshot_ms_reused_{mean,p99}`: first materialisation of the commit
  and reuse by every other app.

For the render figures of issue 3 (S2): `bench_repository(apps)` yields a `SourceBench` (server,
repo URL, commit, Redis client, resolver factory, mirrors) that a render scenario can reuse; add
render figures in your own module and register it in bench/__main__.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from gitops.cache import RedisCache
from gitops.keys import Keys
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver

_TESTS = Path(__file__).resolve().parent.parent / "tests"
TARGETS = ["HEAD", "main", "refs/heads/main", "v1.*", ">=1.0.0 <2.0.0", "v1.0.0", "release"]


@dataclass
class SourceBench:
    """A served repository and the shared cache, for source benchmarks."""

    server: object
    url: str
    head: str
    redis: redis.Redis
    workdir: Path

    def resolver(self, ttl_seconds: float, metrics: GitMetrics, prefix: str) -> RevisionResolver:
        return RevisionResolver(RedisCache(self.redis), GitRemote(), ttl_seconds, metrics, keys=Keys(prefix))

    def mirrors(self) -> Mirrors:
        return Mirrors(self.workdir / "cache", 10 * 1024**3, 86400)


@contextmanager
def bench_repository(files_per_app: int = 1) -> Iterator[SourceBench]:
    """A repository with branches, tags and a ConfigMap per app, served on loopback."""
    sys.path.insert(0, str(_TESTS))
    from gitserver import GitServer, private_redis

    with tempfile.TemporaryDirectory(prefix="bosun-bench-") as tmp:
        root = Path(tmp)
        server = GitServer(root / "git")
        try:
            repo = server.create_repo("mono")
            files: dict[str, str | bytes | None] = {
                f"apps/app-{i:04d}/cm-{j}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}-{j}\n"
                for i in range(100)
                for j in range(files_per_app)
            }
            repo.commit(files, "apps")
            repo.tag("v1.0.0", annotated=True)
            repo.commit({"apps/app-0000/extra.yaml": "a: 1\n"}, "more")
            repo.tag("v1.1.0")
            repo.branch("release")
            with private_redis(root / "redis") as client:
                yield SourceBench(server, server.url("mono"), repo.head(), client, root)
        finally:
            server.stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--apps", type=int, default=1000, help="apps on the one repository")
    parser.add_argument(
        "--workers", type=int, default=4, help="resolvers sharing the cache (simulated workers)"
    )
    parser.add_argument("--threads", type=int, default=16, help="concurrent resolutions")


def _cycle(resolvers: list[RevisionResolver], url: str, apps: int, threads: int) -> list[float]:
    def one(index: int) -> float:
        started = time.perf_counter()
        resolvers[index % len(resolvers)].resolve(url, TARGETS[index % len(TARGETS)])
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(apps)))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


def run(args: argparse.Namespace) -> dict[str, object]:
    apps, threads = int(args.apps), int(args.threads)
    with bench_repository() as bench:
        server = bench.server
        metrics = GitMetrics()
        ttl = 2.0
        resolvers = [bench.resolver(ttl, metrics, "bench") for _ in range(int(args.workers))]

        started = time.perf_counter()
        _cycle(resolvers, bench.url, apps, threads)
        cold_seconds = time.perf_counter() - started
        cold_calls = metrics.value("git_requests_total", type="ls-remote")
        server_calls_cold = server.requests("mono")  # type: ignore[attr-defined]

        started = time.perf_counter()
        for _ in range(3):
            _cycle(resolvers, bench.url, apps, threads)
        warm_concurrent_per_second = 3 * apps / (time.perf_counter() - started)
        warm = _cycle(resolvers[:1], bench.url, apps, 1)  # one app after another: per-app latency
        warm_calls = metrics.value("git_requests_total", type="ls-remote") - cold_calls

        time.sleep(ttl + 0.2)
        _cycle(resolvers, bench.url, apps, threads)
        after_ttl_calls = metrics.value("git_requests_total", type="ls-remote") - cold_calls - warm_calls

        mirrors = bench.mirrors()
        started = time.perf_counter()
        mirrors.snapshot(bench.url, bench.head)
        first_snapshot_ms = (time.perf_counter() - started) * 1000
        reused = []
        for _ in range(apps):
            t0 = time.perf_counter()
            mirrors.snapshot(bench.url, bench.head)
            reused.append((time.perf_counter() - t0) * 1000)

    distinct_pairs = len({t for i, t in enumerate(TARGETS) if i < apps})
    return {
        "apps": apps,
        "workers": int(args.workers),
        "distinct_repos": 1,
        "distinct_repo_ref_pairs": distinct_pairs,
        "ls_remote_calls_cold_cycle": int(cold_calls),
        "ls_remote_calls_cold_cycle_server_side": int(server_calls_cold),
        "ls_remote_calls_warm_cycles": int(warm_calls),
        "ls_remote_calls_after_ttl": int(after_ttl_calls),
        "ls_remote_calls_within_pairs": bool(cold_calls <= distinct_pairs),
        "cold_cycle_seconds": round(cold_seconds, 3),
        "resolve_ms_warm_mean": round(statistics.fmean(warm), 4),
        "resolve_ms_warm_p50": _p(warm, 0.5),
        "resolve_ms_warm_p99": _p(warm, 0.99),
        "resolves_per_second_warm_concurrent": round(warm_concurrent_per_second, 1),
        "snapshot_ms_first": round(first_snapshot_ms, 2),
        "snapshot_ms_reused_mean": round(statistics.fmean(reused), 4),
        "snapshot_ms_reused_p99": _p(reused, 0.99),
        "fetches": int(mirrors.metrics.value("git_requests_total", type="fetch")),
    }
