"""Helpers for SourceService tests: a real git server, S1's resolver and mirrors, a shared cache."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitserver import GitServer, WorkRepo
from render_support import FIXTURES, TOOLS

from gitops.cache import ByteCache, MemoryCache
from gitops.settings import Settings
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver
from gitops.source.service import SourceService
from gitops.source.spec import ApplicationSourceView, parse_application

HMAC_KEY = "test-hmac-key-0123456789"


def add_fixture(repo: WorkRepo, fixture: str, prefix: str = "", message: str = "add fixture") -> str:
    """Copy fixture repository content into the work tree (symlinks kept) and commit it."""
    target = repo.work / prefix if prefix else repo.work
    shutil.copytree(FIXTURES / fixture, target, symlinks=True, dirs_exist_ok=True)
    return repo.commit({}, message)


def service_settings(tmp_path: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "git_cache_dir": tmp_path / "cache",
        "helm_path": str(TOOLS / "helm"),
        "kubectl_path": str(TOOLS / "kubectl"),
        "manifest_cache_hmac_key": HMAC_KEY,
        "revision_cache_seconds": 180,
    }
    fields.update(overrides)
    return Settings(**fields)


@dataclass
class Stack:
    service: SourceService
    resolver: RevisionResolver
    mirrors: Mirrors
    cache: ByteCache
    metrics: GitMetrics


def make_stack(tmp_path: Path, cache: ByteCache | None = None, name: str = "host", **overrides: Any) -> Stack:
    """One worker host: its own mirrors and resolver, the shared cache (memory unless given)."""
    settings = service_settings(tmp_path / name, **overrides)
    shared = cache if cache is not None else MemoryCache()
    metrics = GitMetrics()
    resolver = RevisionResolver(shared, GitRemote(), settings.revision_cache_seconds, metrics)
    mirrors = Mirrors(settings.git_cache_dir, 10**9, 3600, metrics=metrics)
    service = SourceService(resolver, mirrors, shared, settings, metrics=metrics)
    return Stack(service, resolver, mirrors, shared, metrics)


def application(
    name: str,
    source: dict[str, Any] | None = None,
    *,
    sources: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    dest: str = "web",
) -> ApplicationSourceView:
    spec: dict[str, Any] = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
    }
    if sources is not None:
        spec["sources"] = sources
    else:
        spec["source"] = source
    return parse_application(
        {"metadata": {"name": name, "namespace": "argocd", "annotations": annotations or {}}, "spec": spec}
    )


def serve(git_server: GitServer, name: str = "apps") -> tuple[WorkRepo, str]:
    repo = git_server.create_repo(name)
    return repo, git_server.url(name)


__all__ = ["HMAC_KEY", "Stack", "add_fixture", "application", "make_stack", "serve", "service_settings"]


class RecordingCache(MemoryCache):
    """The shared cache, remembering which keys were written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    def set(self, key: str, value: bytes, ttl_seconds: float | None) -> None:
        self.written.append(key)
        super().set(key, value, ttl_seconds)
