"""Wiring of the git side of the source layer from settings: resolver, mirrors and credentials.

`build_git_source(settings, cache, secrets=(), metrics=None) -> GitSource` with
- `resolver`: `RevisionResolver` on the shared cache, TTL `revision_cache_seconds`, keys under
  `redis_prefix`, entries authenticated with `manifest_cache_hmac_key` (when set), abbreviated
  SHAs expanded through the mirrors (every `Resolved.sha` it returns is a full SHA);
- `mirrors`: `Mirrors` in `git_cache_dir`, evicting above `git_cache_max_bytes` or after
  `git_cache_max_age_seconds`;
- `credentials`: repository / repo-creds Secrets (dicts read by the caller from the management
  namespace) first, then `git_credentials` from settings; `credentials.problems` lists unusable
  entries (to log or surface; they never contain secret values);
- `metrics`: the counters all of them update.
Call `credentials.for_url(repo_url)` and pass the result as `creds=` to `resolve` and `snapshot`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops.cache import ByteCache
from gitops.keys import Keys
from gitops.settings import Settings
from gitops.source.credentials import CredentialStore
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote, GitRunner
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver


@dataclass
class GitSource:
    """The git components of one process, sharing one runner and one set of counters."""

    resolver: RevisionResolver
    mirrors: Mirrors
    credentials: CredentialStore
    metrics: GitMetrics


def build_git_source(
    settings: Settings,
    cache: ByteCache,
    secrets: Iterable[Mapping[str, Any]] = (),
    metrics: GitMetrics | None = None,
) -> GitSource:
    """The resolver, mirrors and credentials configured by `settings` (see the module docstring)."""
    metrics = metrics or GitMetrics()
    runner = GitRunner(settings.git_timeout_seconds, settings.ssh_known_hosts_file)
    mirrors = Mirrors(
        settings.git_cache_dir,
        settings.git_cache_max_bytes,
        settings.git_cache_max_age_seconds,
        runner,
        metrics,
    )
    resolver = RevisionResolver(
        cache,
        GitRemote(runner),
        settings.revision_cache_seconds,
        metrics,
        keys=Keys(settings.redis_prefix),
        hmac_key=settings.manifest_cache_hmac_key.get_secret_value().encode(),
        expand_commit=mirrors.expand,
    )
    credentials = CredentialStore.from_secrets(secrets).merged(
        CredentialStore.from_settings(settings.git_credentials.get_secret_value())
    )
    return GitSource(resolver, mirrors, credentials, metrics)
