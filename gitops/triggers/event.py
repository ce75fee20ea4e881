"""A Git push as Bosun needs it, whatever the provider that reported it.

The webhook receiver (scheduler/webhooks) builds one from a provider payload; the fan-out task
(workers) matches it against every app. It round-trips through JSON because it is parked in Redis
between the two (task arguments carry only its id).

`updates` are the branch moves `(ref, before, after)` the payload states. The receiver keeps them
only for a delivery whose signature or token was checked against a configured secret; parked, they
are sealed with an HMAC (`to_json(seal_key)`), and `from_json(data, seal_key)` drops them unless the
seal holds, so neither an unsigned webhook nor a Redis writer can make a branch resolve to a commit
of its choosing (the fan-out applies them to the revision cache; see RevisionResolver.advance).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson

RefUpdate = tuple[str, str, str]  # (full ref, before sha, after sha)


def _seal(key: bytes, repo_urls: list[str], updates: list[list[str]]) -> str:
    material = orjson.dumps({"repo_urls": repo_urls, "updates": updates})
    return hmac.new(key, b"bosun-push-updates\0" + material, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PushEvent:
    """Refs pushed to one repository.

    `repo_urls`: every URL the provider gives for the repository (web, https clone, ssh clone).
    `refs`: full refs pushed (`refs/heads/main`, `refs/tags/v1.2.0`).
    `changed_paths`: files added, modified or removed, repo-relative; None when the provider did not
    say or the list is incomplete (then path filters cannot be applied and every matching app refreshes).
    `default_branch`: the repository's default branch when the payload names it, else None.
    """

    provider: str
    repo_urls: tuple[str, ...]
    refs: tuple[str, ...]
    changed_paths: tuple[str, ...] | None = None
    default_branch: str | None = None
    after: str = ""
    updates: tuple[RefUpdate, ...] = ()

    def to_json(self, seal_key: bytes = b"") -> dict[str, Any]:
        """JSON to park the event; `updates` sealed with `seal_key` (when given)."""
        parked: dict[str, Any] = {
            "provider": self.provider,
            "repo_urls": list(self.repo_urls),
            "refs": list(self.refs),
            "changed_paths": None if self.changed_paths is None else list(self.changed_paths),
            "default_branch": self.default_branch,
            "after": self.after,
        }
        if self.updates:
            parked["updates"] = [list(u) for u in self.updates]
            if seal_key:
                parked["seal"] = _seal(seal_key, parked["repo_urls"], parked["updates"])
        return parked

    @classmethod
    def from_json(cls, data: dict[str, Any], seal_key: bytes = b"") -> PushEvent:
        """The parked event; `updates` kept only when their seal verifies with `seal_key` (when given)."""
        changed = data.get("changed_paths")
        repo_urls = [str(u) for u in data.get("repo_urls", [])]
        raw = data.get("updates") or []
        updates = [[str(x) for x in u] for u in raw if isinstance(u, list) and len(u) == 3]
        if seal_key and not hmac.compare_digest(
            str(data.get("seal") or ""), _seal(seal_key, repo_urls, updates)
        ):
            updates = []
        refs = [str(r) for r in data.get("refs", [])]
        updates = [u for u in updates if u[0] in refs]  # never a ref the push did not name
        return cls(
            provider=str(data["provider"]),
            repo_urls=tuple(repo_urls),
            refs=tuple(refs),
            changed_paths=None if changed is None else tuple(str(p) for p in changed),
            default_branch=data.get("default_branch"),
            after=str(data.get("after", "")),
            updates=tuple((u[0], u[1], u[2]) for u in updates),
        )
