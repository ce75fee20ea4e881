"""`GitTrees`: the git generator's `RepoTrees` over the source layer's resolver and mirrors
(read-only snapshot per commit, credentials by URL; see gitops.source.git_setup). Remembers the commit
each repository resolved to, for the set's status. `force` bypasses the ls-remote cache (webhooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops.source.repo_url import redact
from gitops.source.service_types import CredentialsPort, MirrorsPort, ResolverPort


class GitTrees:
    def __init__(
        self, resolver: ResolverPort, mirrors: MirrorsPort, credentials: CredentialsPort | None = None,
        force: bool = False,
    ) -> None:  # fmt: skip
        self.resolver = resolver
        self.mirrors = mirrors
        self.credentials = credentials
        self.force = force
        self.revisions: dict[str, str] = {}

    @classmethod
    def from_source(cls, source: Any, force: bool = False) -> GitTrees:
        """From a `gitops.source.git_setup.GitSource`."""
        return cls(source.resolver, source.mirrors, source.credentials, force)

    def tree(self, repo_url: str, revision: str) -> Path:
        creds = self.credentials.for_url(repo_url) if self.credentials else None
        resolved = self.resolver.resolve(repo_url, revision, force=self.force, creds=creds)
        self.revisions[redact(repo_url)] = resolved.sha
        return self.mirrors.snapshot(repo_url, resolved.sha, creds)
