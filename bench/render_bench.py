"""`python -m bench render --json`: render and manifest-cache figures for N apps on one repository.

Real parts: the repository of bench/source_bench.py (git http-backend on loopback, 100 app
directories of 10 ConfigMaps each), a private redis-server as the shared manifest and revision
cache, S1's resolver and mirrors, and SourceService. App i uses directory `apps/app-{i % 100}`
and one of two parameter variants, so 1,000 apps have 200 distinct (path, parameters).

Figures:
- `renders_cold_cycle` vs `distinct_path_params`: renders of a first refresh of every app;
- `renders_warm_cycle`: a second refresh of every app on the same commit (0);
- `desired_state_ms_warm_{mean,p50,p99}`: per app, resolve (cached) + snapshot (reused) + load and
  verify the cached manifests of a 10-resource app; `cache_load_ms_{mean,p50,p99}`: the cache GET,
  HMAC check, decompression and decoding alone;
- `renders_after_unrelated_commit` / `reused_after_unrelated_commit`: a pushed commit touching no
  app path, announced with its changed files (webhook), renders nothing;
- `renders_after_one_app_changed`: a commit touching one app directory re-renders only its
  (path, parameters) pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.source_bench import bench_repository
from gitops.cache import RedisCache
from gitops.settings import Settings
from gitops.source.git_metrics import GitMetrics
from gitops.source.service import ChangedFiles, SourceService
from gitops.source.spec import ApplicationSourceView, parse_application

# Two parameter sets with the same output; both skip the repository's non-manifest extra.yaml.
VARIANTS: list[dict[str, Any]] = [{"directory": {"include": "cm-*"}}, {"directory": {"include": "cm-*.yaml"}}]
APP_DIRS = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--apps", type=int, default=1000, help="apps on the one repository")


def _app(index: int, url: str) -> ApplicationSourceView:
    source = {"repoURL": url, "targetRevision": "main", "path": f"apps/app-{index % APP_DIRS:04d}"}
    source.update(VARIANTS[(index // APP_DIRS) % len(VARIANTS)])
    return parse_application(
        {
            "metadata": {"name": f"app-{index:04d}", "namespace": "argocd"},
            "spec": {
                "project": "default",
                "destination": {"namespace": f"team-{index % 7}"},
                "source": source,
            },
        }
    )


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


def _refresh_all(
    service: SourceService, apps: list[ApplicationSourceView], changed: ChangedFiles | None = None
) -> tuple[int, int, list[float]]:
    renders = reused = 0
    times: list[float] = []
    for app in apps:
        started = time.perf_counter()
        state = service.desired_state(app, changed_files=changed)
        times.append((time.perf_counter() - started) * 1000)
        renders += state.renders_performed
        reused += state.reused
    return renders, reused, times


def run(args: argparse.Namespace) -> dict[str, object]:
    count = int(args.apps)
    with bench_repository(files_per_app=10) as bench:
        settings = Settings(
            git_cache_dir=bench.workdir / "render-cache",
            manifest_cache_hmac_key="bench-hmac-key",
            revision_cache_seconds=180,
        )
        metrics = GitMetrics()
        service = SourceService(
            bench.resolver(180, metrics, "bench-render"),
            bench.mirrors(),
            RedisCache(bench.redis),
            settings,
            metrics=metrics,
        )
        apps = [_app(i, bench.url) for i in range(count)]
        distinct = len({(a.sources[0].path, a.sources[0].model_dump_json(exclude={"path"})) for a in apps})
        objects_per_app = len(service.desired_state(apps[0]).objects)

        started = time.perf_counter()
        renders_cold, _, _ = _refresh_all(service, apps)
        cold_seconds = time.perf_counter() - started
        renders_cold += 1  # the probe above rendered apps[0]'s pair
        renders_warm, _, warm = _refresh_all(service, apps)

        loads = []
        digests = _digests(service, apps)
        for digest in digests:
            t0 = time.perf_counter()
            assert service.manifests.get(digest) is not None
            loads.append((time.perf_counter() - t0) * 1000)

        from gitserver import WorkRepo  # on sys.path once bench_repository has started

        server: Any = bench.server
        repo = WorkRepo("mono", server.work_root / "mono", server.root / "mono.git")
        figures_after = _after_commits(service, apps, bench.url, repo)

    return {
        "apps": count,
        "objects_per_app": objects_per_app,
        "distinct_path_params": distinct,
        "renders_cold_cycle": renders_cold,
        "renders_equal_distinct_path_params": renders_cold == distinct,
        "renders_warm_cycle": renders_warm,
        "cold_cycle_seconds": round(cold_seconds, 3),
        "desired_state_ms_warm_mean": round(statistics.fmean(warm), 4),
        "desired_state_ms_warm_p50": _p(warm, 0.5),
        "desired_state_ms_warm_p99": _p(warm, 0.99),
        "cache_load_ms_mean": round(statistics.fmean(loads), 4),
        "cache_load_ms_p50": _p(loads, 0.5),
        "cache_load_ms_p99": _p(loads, 0.99),
        "cache_rejected": int(metrics.value("manifest_cache_total", result="rejected")),
        **figures_after,
    }


def _digests(service: SourceService, apps: list[ApplicationSourceView]) -> list[str]:
    """The cache digest of each app's source, exactly as the service computes it."""
    written: list[str] = []
    original = service.manifests.get

    def spy(digest: str) -> Any:
        written.append(digest)
        return original(digest)

    service.manifests.get = spy  # type: ignore[method-assign]
    try:
        for app in apps:
            service.desired_state(app)
    finally:
        service.manifests.get = original  # type: ignore[method-assign]
    return written


def _after_commits(
    service: SourceService, apps: list[ApplicationSourceView], url: str, repo: Any
) -> dict[str, object]:
    before = repo.head()
    repo.commit({"docs/CHANGELOG.md": "unrelated\n"}, "docs")
    service.resolver.refresh(url, ["main"])  # type: ignore[attr-defined]
    changed = ChangedFiles(url, before, ("docs/CHANGELOG.md",))
    renders_unrelated, reused_unrelated, _ = _refresh_all(service, apps, changed)
    before = repo.head()
    repo.commit(
        {
            "apps/app-0003/cm-0.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-3-0\ndata: {v: '2'}\n"
        },
        "app 3",
    )
    service.resolver.refresh(url, ["main"])  # type: ignore[attr-defined]
    changed = ChangedFiles(url, before, ("apps/app-0003/cm-0.yaml",))
    renders_one, _, _ = _refresh_all(service, apps, changed)
    return {
        "renders_after_unrelated_commit": renders_unrelated,
        "reused_after_unrelated_commit": reused_unrelated,
        "renders_after_one_app_changed": renders_one,
    }
