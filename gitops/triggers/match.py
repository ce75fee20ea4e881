"""Does a push event concern an Application? Repo URL, revision and changed paths, as Argo CD decides.

- Repo: equal after `gitops.source.repo_url.normalize` (host case, scheme, user, port, `.git`).
- Revision: HEAD or empty matches only a push to the default branch (any branch when the payload
  does not name the default branch: refreshing too often is safe, missing a push is not);
  `refs/heads/x`, `refs/tags/x` and bare names compare the part after `refs/heads/` or `refs/tags/`;
  a semver constraint matches a pushed tag that satisfies it; a pinned commit SHA never matches.
- Paths: with the `argocd.argoproj.io/manifest-generate-paths` annotation (`;`-separated, relative to
  the source path, or absolute from the repo root when starting with `/`), only a change under one
  of them counts; without it, or when the event does not list changed files, every push counts.
Helm-repository sources (`chart` set) never match a Git push. An app matches if any source does.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gitops.errors import SpecError
from gitops.source.repo_url import normalize
from gitops.source.semver_constraints import parse_constraint, parse_version
from gitops.triggers.event import PushEvent

GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")


def safe_normalize(url: str) -> str | None:
    try:
        return normalize(url)
    except SpecError:
        return None


def short_ref(ref: str) -> str:
    """`refs/heads/feature/x` -> `feature/x`, `refs/tags/v1` -> `v1`, other text unchanged."""
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def revision_matches(target_revision: str | None, ref: str, default_branch: str | None) -> bool:
    """Whether a push of `ref` (full ref) can change what `target_revision` resolves to."""
    target = (target_revision or "").strip()
    is_branch = ref.startswith("refs/heads/")
    is_tag = ref.startswith("refs/tags/")
    if target in ("", "HEAD"):
        return is_branch and (default_branch is None or short_ref(ref) == default_branch)
    if _SHA.match(target):
        return False
    if short_ref(target) == short_ref(ref):
        if target.startswith("refs/heads/"):
            return is_branch
        if target.startswith("refs/tags/"):
            return is_tag
        return True
    if is_tag and not target.startswith("refs/"):
        constraint = parse_constraint(target)
        version = parse_version(short_ref(ref))
        if constraint is not None and version is not None:
            return constraint.check(version)
    return False


def generate_paths(annotation: str | None, source_path: str | None) -> list[str] | None:
    """Repo-relative directories from the annotation (None when the app has none)."""
    if annotation is None or not annotation.strip():
        return None
    base = (source_path or "").strip("/")
    paths = []
    for item in annotation.split(";"):
        item = item.strip()
        if not item:
            continue
        joined = item.lstrip("/") if item.startswith("/") else posixpath.join(base, item)
        normal = posixpath.normpath(joined) if joined else "."
        paths.append("" if normal in (".", "/") else normal.strip("/"))
    return paths


def paths_match(watched: list[str] | None, changed: Iterable[str] | None) -> bool:
    """True when nothing restricts the refresh, or a changed file lies under a watched directory."""
    if watched is None or changed is None:
        return True
    changed = [c.lstrip("/") for c in changed]
    if not changed:
        return True  # the provider listed no files: assume anything changed, as Argo CD does
    for directory in watched:
        if directory == "":
            return True
        prefix = directory + "/"
        if any(path == directory or path.startswith(prefix) for path in changed):
            return True
    return False


def app_sources(app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`spec.sources` when set, else `[spec.source]` (Argo CD ignores `source` when `sources` is set)."""
    spec = app.get("spec") or {}
    sources = spec.get("sources")
    if sources:
        return [s for s in sources if isinstance(s, Mapping)]
    source = spec.get("source")
    return [source] if isinstance(source, Mapping) else []


def app_matches(app: Mapping[str, Any], event: PushEvent) -> bool:
    """Whether the push event should trigger a refresh of the Application (a resource dict)."""
    pushed = {n for n in (safe_normalize(u) for u in event.repo_urls) if n}
    if not pushed:
        return False
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    for source in app_sources(app):
        if source.get("chart"):
            continue
        repo = safe_normalize(str(source.get("repoURL") or ""))
        if repo is None or repo not in pushed:
            continue
        target = source.get("targetRevision")
        if not any(revision_matches(target, ref, event.default_branch) for ref in event.refs):
            continue
        watched = generate_paths(annotations.get(GENERATE_PATHS), source.get("path"))
        if paths_match(watched, event.changed_paths):
            return True
    return False
