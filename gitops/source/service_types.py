"""The ports SourceService uses and the values it returns (kept apart to keep service.py small).

- `ResolverPort.resolve(repo_url, target_revision, force=, creds=) -> Resolved` (RevisionResolver);
- `MirrorsPort.snapshot(repo_url, sha, creds) -> Path` (Mirrors: a read-only tree of the commit);
- `CredentialsPort.for_url(repo_url) -> RepoCredentials | None` (CredentialStore);
- `ChangedFiles(repo_url, before, paths)`: what a webhook says a push changed;
- `DesiredState`: what `SourceService.desired_state` returns;
- `failure(error, app)`: a cached render failure raised again; `public_url(repo_url)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gitops.errors import RenderError, SourceError, UnsafeSourceError
from gitops.source.credentials import RepoCredentials
from gitops.source.repo_url import redact, strip_userinfo
from gitops.source.revisions import Resolved


class ResolverPort(Protocol):
    def resolve(
        self,
        repo_url: str,
        target_revision: str,
        *,
        force: bool = False,
        creds: RepoCredentials | None = None,
    ) -> Resolved: ...


class MirrorsPort(Protocol):
    def snapshot(self, repo_url: str, sha: str, creds: RepoCredentials | None) -> Path: ...


class CredentialsPort(Protocol):
    def for_url(self, repo_url: str) -> RepoCredentials | None: ...


@dataclass(frozen=True)
class ChangedFiles:
    """What a push changed, from a webhook: files between `before` and the pushed commit."""

    repo_url: str
    before: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class DesiredState:
    revisions: tuple[str, ...]  # one commit per source, in spec order (ref-only sources included)
    objects: list[dict[str, Any]]
    source_type: str  # of the first rendered source (Argo CD's status.sourceType)
    source_types: tuple[str, ...] = ()
    renders_performed: int = 0
    cache_hits: int = 0
    reused: int = 0


def failure(error: dict[str, str], app: str) -> SourceError:
    """The cached failure of a render, raised again for `app`."""
    cls = UnsafeSourceError if error.get("class") == "UnsafeSourceError" else RenderError
    return cls(
        error.get("message", "render failed"),
        app=app,
        target=error.get("target") or None,
        hint=error.get("hint") or None,
    )


def public_url(repo_url: str) -> str:
    return redact(strip_userinfo(repo_url)[0])
