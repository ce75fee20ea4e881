"""Parsing kube-apiserver request paths into a route: discovery documents or a resource request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """A resource request: /api/v1/... or /apis/{group}/{version}/..."""

    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    legacy_watch: bool = False


@dataclass(frozen=True)
class Discovery:
    """A discovery document: kind is one of versions, version, groups, group."""

    kind: str
    group: str = ""
    version: str = ""


def parse(path: str) -> Route | Discovery | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api":
        if len(parts) == 1:
            return Discovery("versions")
        if len(parts) == 2:
            return Discovery("version", "", parts[1])
        return _resource("", parts[1], parts[2:])
    if parts[0] == "apis":
        if len(parts) == 1:
            return Discovery("groups")
        if len(parts) == 2:
            return Discovery("group", parts[1])
        if len(parts) == 3:
            return Discovery("version", parts[1], parts[2])
        return _resource(parts[1], parts[2], parts[3:])
    return None


_NAMESPACE_SUBRESOURCES = ("status", "finalize")


def _resource(group: str, version: str, rest: list[str]) -> Route | None:
    watch = False
    if rest[0] == "watch":
        watch, rest = True, rest[1:]
        if not rest:
            return None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES)
    ):
        ns, plural, tail = rest[1], rest[2], rest[3:]
        if len(tail) > 2:
            return None
        return Route(
            group, version, plural, ns, tail[0] if tail else None, tail[1] if len(tail) > 1 else None, watch
        )
    if len(rest) > 3:
        return None
    return Route(
        group,
        version,
        rest[0],
        None,
        rest[1] if len(rest) > 1 else None,
        rest[2] if len(rest) > 2 else None,
        watch,
    )
