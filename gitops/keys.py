"""Every Redis key Bosun uses, in one place (as rq does). Nothing else formats a key.

All keys start with the configurable prefix (setting `redis_prefix`). Add a template here, never
an f-string key elsewhere; keep the table in docs/architecture.md in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Key templates under one prefix. `Keys("bosun").app_lock("guestbook") == "bosun:lock:app:guestbook"`."""

    prefix: str = "bosun"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # --- source caches (gitops/source) ---
    def revision(self, repo_digest: str, ref: str) -> str:
        """Resolved SHA of (repo, ref); repo_digest is a hash of the normalised, credential-free URL."""
        return self._k("rev", repo_digest, ref)

    def manifests(self, cache_digest: str) -> str:
        """Rendered, compressed, HMAC-authenticated manifests for one (repo, commit, path, params, tools)."""
        return self._k("manifests", cache_digest)

    # --- coordination (workers) ---
    def app_lock(self, app: str) -> str:
        return self._k("lock", "app", app)

    def app_fence(self, app: str) -> str:
        """Monotonic fencing counter for the app lock."""
        return self._k("fence", "app", app)

    def refresh_pending(self, app: str) -> str:
        """Set while a refresh of the app is queued, so triggers coalesce."""
        return self._k("pending", "refresh", app)

    # --- hot state ---
    def app_status(self, app: str) -> str:
        return self._k("status", "app", app)

    def app_events(self, app: str) -> str:
        return self._k("events", "app", app)
