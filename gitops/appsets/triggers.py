"""When an ApplicationSet must be regenerated, decided without Celery (workers/appsets.py acts on it).

- `fingerprint(appset, cluster_secrets)`: changes when the set's spec changes (uid, generation) or,
  for sets with a cluster generator, when any cluster Secret is added, removed or changed.
- `is_due(state, fingerprint, now, poll_seconds)`: a new fingerprint, or the poll interval elapsed
  (git generators have no other signal without webhooks).
- `git_repos(appset)` / `matches_push(appset, repo_urls)`: the repositories of the set's git
  generators (nested in matrix/merge too), matched against a push after URL normalisation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitops.errors import SpecError
from gitops.source.repo_url import normalize


def _walk(generators: Iterable[Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for generator in generators:
        if not isinstance(generator, Mapping):
            continue
        for kind, body in generator.items():
            if not isinstance(body, Mapping):
                continue
            yield kind, body
            if kind in ("matrix", "merge"):
                yield from _walk(body.get("generators") or [])


def generator_kinds(appset: Mapping[str, Any]) -> set[str]:
    return {kind for kind, _ in _walk((appset.get("spec") or {}).get("generators") or [])}


def git_repos(appset: Mapping[str, Any]) -> list[str]:
    return sorted({str(body["repoURL"]) for kind, body in _walk((appset.get("spec") or {}).get("generators") or [])
                   if kind == "git" and body.get("repoURL")})  # fmt: skip


def _normal(url: str) -> str | None:
    try:
        return normalize(url)
    except SpecError:
        return None


def matches_push(appset: Mapping[str, Any], repo_urls: Iterable[str]) -> bool:
    pushed = {n for n in (_normal(u) for u in repo_urls) if n}
    return any(_normal(repo) in pushed for repo in git_repos(appset))


def fingerprint(appset: Mapping[str, Any], cluster_secrets: Iterable[Mapping[str, Any]]) -> str:
    meta = appset.get("metadata") or {}
    parts = [str(meta.get("uid") or ""), str(meta.get("generation") or ""), str(meta.get("resourceVersion") or "")
             if not meta.get("generation") else ""]  # fmt: skip
    if "clusters" in generator_kinds(appset):
        for secret in sorted(cluster_secrets, key=lambda s: str((s.get("metadata") or {}).get("name"))):
            smeta = secret.get("metadata") or {}
            parts.append(f"{smeta.get('name')}@{smeta.get('resourceVersion')}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


def is_due(state: Mapping[str, str], current: str, now: float, poll_seconds: float) -> bool:
    if state.get("fingerprint") != current:
        return True
    try:
        last = float(state.get("queuedAt") or 0)
    except ValueError:
        return True
    return now - last >= poll_seconds
