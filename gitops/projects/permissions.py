"""What an AppProject permits, with Argo CD's rules.

- sources (as Argo CD documents them): permitted when any allow pattern matches and no `!` pattern
  does; URLs and patterns are normalised first (`!` patterns alone permit nothing: add `*`).
- destinations: an entry matches when (server or name) and namespace match; an entry with a `!`
  field is a deny rule (`{server: '*', namespace: '!kube-system'}` refuses kube-system anywhere);
  permitted when an allow entry matches and no deny entry does.
- kinds: namespaced kinds need the namespace whitelist (absent = all) and no blacklist hit;
  cluster-scoped kinds need an explicit cluster whitelist entry and no blacklist hit.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitops.errors import SpecError
from gitops.projects.globs import glob_match, is_deny
from gitops.projects.model import AppProject, GroupKind
from gitops.source.repo_url import normalize


def _normalize_repo(text: str) -> str:
    if text in ("*", ""):
        return text
    try:
        return normalize(text)
    except SpecError:
        return text.lower()


def _normalize_pattern(pattern: str) -> str:
    if is_deny(pattern):
        return "!" + _normalize_repo(pattern[1:])
    return _normalize_repo(pattern)


def source_permitted(project: AppProject, repo_url: str) -> bool:
    """Any allow pattern matches and no `!` pattern does."""
    value = _normalize_repo(repo_url)
    allowed = False
    for raw in project.source_repos:
        pattern = _normalize_pattern(raw)
        if is_deny(pattern):
            if glob_match(pattern[1:], value):
                return False
        elif glob_match(pattern, value):
            allowed = True
    return allowed


def _field_matches(pattern: str, value: str) -> bool:
    return bool(pattern) and bool(value) and glob_match(pattern.removeprefix("!"), value)


def destination_permitted(project: AppProject, server: str, name: str, namespace: str) -> bool:
    """Any allow entry matches and no deny entry (one with a `!` field) does. An entry matches
    when its server or its name matches, and its namespace matches."""
    allowed = False
    for item in project.destinations:
        cluster_matched = _field_matches(item.server, server) or _field_matches(item.name, name)
        matched = cluster_matched and glob_match(item.namespace.removeprefix("!") or "", namespace)
        if any(is_deny(p) for p in (item.server, item.name, item.namespace)):
            if matched:
                return False
        elif matched:
            allowed = True
    return allowed


def _in_list(group: str, kind: str, entries: Iterable[GroupKind]) -> bool:
    return any(glob_match(e.group, group) and glob_match(e.kind, kind) for e in entries)


def kind_permitted(project: AppProject, group: str, kind: str, namespaced: bool) -> bool:
    if namespaced:
        whitelist = project.namespace_whitelist
        allowed = whitelist is None or (len(whitelist) > 0 and _in_list(group, kind, whitelist))
        return allowed and not _in_list(group, kind, project.namespace_blacklist)
    allowed = _in_list(group, kind, project.cluster_whitelist)
    return allowed and not _in_list(group, kind, project.cluster_blacklist)
