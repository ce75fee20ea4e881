"""The cluster port: everything the engine asks of a Kubernetes API server, synchronously.

`gitops.cluster.kube.KubeClusterPort` implements it with the official client's DynamicClient;
`gitops.cluster.memory.MemoryClusterPort` is an in-process double for unit tests of pure code.
Every failure is a `gitops.errors.ClusterError` naming the resource (429/503 carry `retry_after`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Obj = dict[str, Any]

PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """One served resource type, as discovery describes it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        """`apps/Deployment`, `/ConfigMap` for the core group (the key health plugins use)."""
        return f"{self.group}/{self.kind}"


@dataclass
class CallCounter:
    """API requests made through a port, by verb (`list`, `get`, `apply`, ..., `discovery`)."""

    by_verb: Counter[str] = field(default_factory=Counter)

    def add(self, verb: str) -> None:
        self.by_verb[verb] += 1

    @property
    def total(self) -> int:
        return sum(self.by_verb.values())

    def snapshot(self) -> dict[str, int]:
        return dict(self.by_verb)

    def reset(self) -> None:
        self.by_verb.clear()


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> (`apps`, `v1`); `v1` -> (``, `v1`)."""
    group, _, version = api_version.rpartition("/")
    return group, version


@runtime_checkable
class ClusterPort(Protocol):
    """A synchronous view of one cluster. Objects are plain JSON dicts."""

    calls: CallCounter

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        """The served resource of (apiVersion, kind); ClusterError(reason="NotFound") if not served."""
        ...

    def refresh_discovery(self) -> None:
        """Forget cached discovery (call after CRDs appear or disappear)."""
        ...

    def list(
        self, info: ResourceInfo, namespace: str | None = None, label_selector: str | None = None
    ) -> list[Obj]:
        """Objects of one type (all namespaces when namespace is None); items carry apiVersion and kind."""
        ...

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        """One object, or None when it does not exist."""
        ...

    def apply(
        self,
        obj: Obj,
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str | None = None,
    ) -> Obj:
        """Server-side apply (PATCH application/apply-patch+yaml); returns the object as stored/predicted.

        `field_validation` is the server's `fieldValidation` (Strict, Warn, Ignore); None = server default.
        """
        ...

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """POST; `generateName` objects get their name from the server."""
        ...

    def replace(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """PUT (an object without resourceVersion replaces unconditionally)."""
        ...

    def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Foreground",
        dry_run: bool = False,
    ) -> None:
        """DELETE with a propagation policy; an object already gone is not an error."""
        ...

    def server_version(self) -> str:
        """gitVersion of the server, e.g. `v1.31.0`."""
        ...
