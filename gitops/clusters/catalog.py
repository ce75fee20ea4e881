"""The registered clusters of one moment, and destination lookup by server URL or cluster name.

`ClusterCatalog.from_secrets(secrets)` parses every cluster Secret (a broken one is kept aside as an
error for its cluster, never hiding the others) and adds the implicit in-cluster destination
(`https://kubernetes.default.svc`, `in-cluster`) unless a Secret already names that server.
`resolve(destination)` returns the ClusterRecord or raises SpecError (an InvalidSpecError).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.cluster.connection import IN_CLUSTER_SERVER
from gitops.clusters.secrets import ClusterRecord, in_cluster_record, parse_cluster_secret
from gitops.errors import ConfigError, SpecError


@dataclass
class ClusterCatalog:
    clusters: list[ClusterRecord] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # Secret name -> why it cannot be used

    @classmethod
    def from_secrets(cls, secrets: Iterable[Mapping[str, Any]]) -> ClusterCatalog:
        catalog = cls()
        for secret in secrets:
            try:
                catalog.clusters.append(parse_cluster_secret(secret))
            except ConfigError as err:
                name = str((secret.get("metadata") or {}).get("name") or "")
                catalog.broken[name] = str(err)
        if not any(c.server == IN_CLUSTER_SERVER for c in catalog.clusters):
            catalog.clusters.insert(0, in_cluster_record())
        return catalog

    def by_name(self, name: str) -> ClusterRecord | None:
        return next((c for c in self.clusters if c.name == name), None)

    def by_server(self, server: str) -> ClusterRecord | None:
        server = server.rstrip("/")
        return next((c for c in self.clusters if c.server == server), None)

    def resolve(self, destination: Mapping[str, Any], app: str | None = None) -> ClusterRecord:
        """The cluster of an app's `spec.destination` (by `name`, else by `server`)."""
        name = str(destination.get("name") or "")
        server = str(destination.get("server") or "").rstrip("/")
        broken = "; ".join(self.broken.values())
        hint_broken = f" (unusable cluster Secrets: {broken})" if broken else ""
        if name:
            record = self.by_name(name)
            if record is None:
                raise SpecError(
                    f"there are no clusters with this name: {name}{hint_broken}",
                    app=app,
                    target="spec.destination.name",
                    hint="register it with `bosun cluster add` or fix the name",
                )
            if server and record.server != server:
                raise SpecError(
                    f"destination name {name} is cluster {record.server}, not {server}",
                    app=app,
                    target="spec.destination",
                    hint="set only one of server and name",
                )
            return record
        if not server:
            raise SpecError(
                "destination needs a server or a name",
                app=app,
                target="spec.destination",
                hint=f"e.g. server: {IN_CLUSTER_SERVER}",
            )
        record = self.by_server(server)
        if record is None:
            raise SpecError(
                f"cluster {server} has not been configured{hint_broken}",
                app=app,
                target="spec.destination.server",
                hint="register it with `bosun cluster add` or fix the server URL",
            )
        return record
