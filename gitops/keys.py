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

    def git_refs(self, repo_digest: str) -> str:
        """Every ref of one repository (one ls-remote), shared by all resolutions of that repo."""
        return self._k("refs", repo_digest)

    def git_refs_lock(self, repo_digest: str) -> str:
        """Held by the one caller running ls-remote for the repo; the others wait for its result."""
        return self._k("refs-lock", repo_digest)

    def manifests(self, cache_digest: str) -> str:
        """Rendered, compressed, HMAC-authenticated manifests for one (repo, commit, path, params, tools)."""
        return self._k("manifests", cache_digest)

    def manifest_inputs(self, pointer_digest: str) -> str:
        """Paths outside an app's path its last render read, for one (repo, path, tree id, params,
        tools): the pointer of the content-keyed manifest cache (gitops/source/content_keys.py)."""
        return self._k("manifest-inputs", pointer_digest)

    def manifests_render_lock(self, cache_digest: str) -> str:
        """Held while one worker renders (cache_digest), so others wait for its entry instead."""
        return self._k("manifests-lock", cache_digest)

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

    # --- control plane (gitops/coordination, workers, scheduler) ---
    def app_changes(self) -> str:
        """Capped stream of `{app, kind}` entries, one per hot-status write (feeds the SSE API)."""
        return self._k("changes")

    def task_deliveries(self, task_id: str) -> str:
        """How many times a Celery task id was delivered (bounds acks_late redelivery)."""
        return self._k("deliveries", task_id)

    def webhook_delivery(self, provider: str, delivery_digest: str) -> str:
        """Set once per webhook delivery id (or body digest) so a replay is handled once."""
        return self._k("webhook", "seen", provider, delivery_digest)

    def webhook_event(self, event_id: str) -> str:
        """A parsed push event waiting for the fan-out task (task args carry only its id)."""
        return self._k("webhook", "event", event_id)

    def webhook_fanout_pending(self, push_digest: str) -> str:
        """The after-sha last fanned out for one push target (repository, refs), for COALESCE_SECONDS:
        the same commit delivered again (other hooks, new delivery ids) is coalesced into that fan-out."""
        return self._k("webhook", "pending", push_digest)

    def due_slot(self, app: str, slot: int) -> str:
        """Claimed by the first beat tick that enqueues the app for this refresh slot."""
        return self._k("due", app, str(slot))

    def stats(self) -> str:
        """Hash of cluster-wide counters (lock contention, sync phases, reconcile duration buckets)
        that workers increment and the API server exposes on /metrics."""
        return self._k("stats")

    def sync_pending(self, app: str) -> str:
        """Set while a sync step of the app is queued, so an operation runs as one chain of steps."""
        return self._k("pending", "sync", app)

    def dependents_waiting(self, app: str) -> str:
        """SET of apps whose sync waits for `app` (bosun.dev/depends-on): refreshed when it becomes
        ready, instead of listing every Application to find them (workers/refresh.py)."""
        return self._k("waiting", "on", app)

    def sync_unstarted_since(self, app: str) -> str:
        """Unix time of the first failed step of an operation that never started (no startedAt yet), so
        the sync timeout also ends an operation whose first step keeps failing (workers/sync_expiry.py)."""
        return self._k("unstarted", "sync", app)

    def sync_alive(self, app: str) -> str:
        """Set (with a TTL) while the app's chain of sync steps is alive; when it lapses with an
        operation Running, the beat tick re-enqueues a step (workers/tick.py)."""
        return self._k("alive", "sync", app)

    def self_heal_attempts(self, app: str) -> str:
        """Consecutive self-heal syncs of the app (drives the 2 s x 3^n backoff)."""
        return self._k("selfheal", app)

    # --- ApplicationSets (workers/appsets.py) ---
    def appset_pending(self, appset: str) -> str:
        """Set while a `bosun.appset_reconcile` of the set is queued (coalesces triggers)."""
        return self._k("pending", "appset", appset)

    def app_finalize_pending(self, app: str) -> str:
        """Set while a `bosun.app_finalize` (resources-finalizer deletion step) of the app is queued."""
        return self._k("pending", "finalize", app)

    def appset_state(self, appset: str) -> str:
        """Hash: the inputs fingerprint and time of the set's last queued reconcile (the tick compares)."""
        return self._k("appset", appset)
