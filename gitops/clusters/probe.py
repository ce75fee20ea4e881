"""Connection status of a cluster: reachable or not, and its server version (never credentials).

`probe(record, port) -> ClusterState`: one GET /version. `unreachable_condition(record, error)`:
the ComparisonError text an app gets when its cluster cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitops.cluster.port import ClusterPort
from gitops.clusters.secrets import ClusterRecord
from gitops.errors import BosunError, ClusterError
from gitops.source.repo_url import redact

SUCCESSFUL = "Successful"
FAILED = "Failed"


@dataclass(frozen=True)
class ClusterState:
    name: str
    server: str
    status: str
    message: str = ""
    server_version: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "server": self.server,
            "connectionState": self.status,
            "message": self.message,
            "serverVersion": self.server_version,
        }


def probe(record: ClusterRecord, port: ClusterPort) -> ClusterState:
    try:
        version = port.server_version()
    except (ClusterError, OSError, KeyError, TypeError) as exc:
        reason = exc.message if isinstance(exc, BosunError) else type(exc).__name__
        return ClusterState(record.name, record.server, FAILED, redact(f"cannot reach the cluster: {reason}"))
    return ClusterState(record.name, record.server, SUCCESSFUL, "", version)


def unreachable_message(record: ClusterRecord, error: BaseException) -> str:
    reason = error.message if isinstance(error, BosunError) else type(error).__name__
    return redact(
        f"cluster {record.name!r} ({record.server}) is unreachable: {reason}; "
        "only apps on this cluster are affected (check `bosun cluster list`)"
    )
