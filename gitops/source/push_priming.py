"""What a verified push webhook lets the source side do once per repository before its refreshes.

`PushPrimer(resolver, mirrors, credentials)`, used by the webhook fan-out:
- `.advance(repo_url, updates, targets) -> bool`: the branch moves the push reported (sealed,
  from a verified delivery; see gitops.triggers.event) applied to the cached ref list, so the
  refreshes resolve the pushed commit without an ls-remote (`RevisionResolver.advance`: compare-
  and-set on the old commit, only the refs the push named); with no moves, or when they cannot be
  applied, the cached list and the targets' resolutions are forgotten instead (one ls-remote, as
  for an unsigned webhook);
- `.prefetch(repo_url, sha)`: the commit fetched into this host's mirror and its snapshot made, once
  per repository, instead of by whichever of the app refreshes gets there first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gitops.errors import BosunError
from gitops.source.repo_url import redact
from gitops.source.service_types import CredentialsPort, MirrorsPort, ResolverPort
from gitops.triggers.event import RefUpdate

log = logging.getLogger(__name__)


class PushPrimer:
    """Revision cache and mirror work for one push, per repository (see the module docstring)."""

    def __init__(
        self, resolver: ResolverPort, mirrors: MirrorsPort, credentials: CredentialsPort | None = None
    ) -> None:
        self.resolver = resolver
        self.mirrors = mirrors
        self.credentials = credentials

    def advance(self, repo_url: str, updates: Iterable[RefUpdate], targets: Iterable[str]) -> bool:
        advance = getattr(self.resolver, "advance", None)
        if advance is None:
            return False
        return bool(advance(repo_url, list(updates), list(targets)))

    def prefetch(self, repo_url: str, sha: str) -> bool:
        """Fetch and snapshot `sha`; False (logged, never raised) when that fails: the refresh will
        try again and report the error on the app."""
        try:
            creds = self.credentials.for_url(repo_url) if self.credentials else None
            self.mirrors.snapshot(repo_url, sha, creds)
        except BosunError as exc:  # messages are redacted
            log.warning("prefetch of %s at %s failed: %s", redact(repo_url), sha[:12], exc)
            return False
        except Exception as exc:  # never fail the fan-out: its refreshes are already requested
            log.warning("prefetch of %s at %s failed: %s", redact(repo_url), sha[:12], type(exc).__name__)
            return False
        return True
