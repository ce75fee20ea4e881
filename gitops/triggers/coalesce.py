"""Identity of a push's target for coalescing webhook fan-outs: the repository and refs pushed.
The sink remembers the after-sha last fanned out per target, so the same commit delivered again
(other hooks, new delivery ids, retries) is coalesced while a new commit always gets a fan-out."""

from __future__ import annotations

import hashlib

from gitops.triggers.event import PushEvent
from gitops.triggers.match import safe_normalize

COALESCE_SECONDS = 60


def push_digest(event: PushEvent) -> str | None:
    """A digest of (normalised repository URLs, refs); None when the provider gave no after-sha
    (such pushes are never coalesced)."""
    if not event.after:
        return None
    repos = sorted({n for n in (safe_normalize(u) for u in event.repo_urls) if n})
    identity = "\n".join([*repos, "", *sorted(event.refs)])
    return hashlib.sha256(identity.encode()).hexdigest()[:32]
