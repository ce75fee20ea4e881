"""Resource types: what kube-apiserver serves (built-ins and CRD-defined), and the registry to look them up.
`ResourceType` is defined in `kubesim.resource_type` and the built-in table in `kubesim.builtin_types`;
both are re-exported here, where the rest of kubesim imports them from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kubesim.builtin_types import BUILTINS, CRDS, NAMESPACES
from kubesim.errors import ApiError
from kubesim.resource_type import ALL_VERBS, ResourceType

__all__ = ["ALL_VERBS", "BUILTINS", "CRDS", "NAMESPACES", "Registry", "ResourceType"]


class Registry:
    """Every served resource type, built-in or from a CRD; looked up by group/version/plural or kind."""

    def __init__(self, types: Iterable[ResourceType] = BUILTINS) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._group_versions: dict[str, list[str]] = {}  # group -> versions, preferred first
        self.generation = 0  # bumped on every change: caches of discovery documents key on it
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType, *, preferred: bool = False) -> None:
        self.generation += 1
        self._by_gvr[(rt.group, rt.version, rt.plural)] = rt
        versions = self._group_versions.setdefault(rt.group, [])
        if rt.version not in versions:
            if preferred:
                versions.insert(0, rt.version)
            else:
                versions.append(rt.version)

    def remove_resource(self, group: str, plural: str) -> None:
        """Stop serving (group, plural) in every version; forgets versions left with nothing."""
        self.generation += 1
        for key in [k for k in self._by_gvr if k[0] == group and k[2] == plural]:
            del self._by_gvr[key]
        served = {k[1] for k in self._by_gvr if k[0] == group}
        kept = [v for v in self._group_versions.get(group, []) if v in served]
        if kept:
            self._group_versions[group] = kept
        else:
            self._group_versions.pop(group, None)

    def set_version_order(self, group: str, versions: list[str]) -> None:
        self.generation += 1
        current = self._group_versions.get(group, [])
        ordered = [v for v in versions if v in current] + [v for v in current if v not in versions]
        if ordered:
            self._group_versions[group] = ordered

    def lookup(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self._by_gvr.get((group, version, plural))
        if rt is None:
            raise ApiError(404, "the server could not find the requested resource", details={})
        return rt

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for (g, v, _p), rt in self._by_gvr.items():
            if g == group and v == version and rt.kind == kind:
                return rt
        return None

    def types_of(self, group: str, plural: str) -> list[ResourceType]:
        return [rt for (g, _v, p), rt in self._by_gvr.items() if g == group and p == plural]

    def groups(self) -> list[str]:
        return list(self._group_versions)

    def versions(self, group: str) -> list[str]:
        return list(self._group_versions.get(group, []))

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return [rt for (g, v, _p), rt in self._by_gvr.items() if g == group and v == version]

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._by_gvr.values()))
