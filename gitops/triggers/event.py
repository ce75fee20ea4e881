"""A Git push as Bosun needs it, whatever the provider that reported it.

The webhook receiver (scheduler/webhooks) builds one from a provider payload; the fan-out task
(workers) matches it against every app. It round-trips through JSON because it is parked in Redis
between the two (task arguments carry only its id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "repo_urls": list(self.repo_urls),
            "refs": list(self.refs),
            "changed_paths": None if self.changed_paths is None else list(self.changed_paths),
            "default_branch": self.default_branch,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PushEvent:
        changed = data.get("changed_paths")
        return cls(
            provider=str(data["provider"]),
            repo_urls=tuple(str(u) for u in data.get("repo_urls", [])),
            refs=tuple(str(r) for r in data.get("refs", [])),
            changed_paths=None if changed is None else tuple(str(p) for p in changed),
            default_branch=data.get("default_branch"),
            after=str(data.get("after", "")),
        )
