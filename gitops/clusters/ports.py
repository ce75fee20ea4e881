"""One ClusterPort per registered cluster per worker process, rate-limited, rebuilt on change.

`ClusterPorts(settings, list_secrets, in_cluster)` keeps the catalog for `catalog_ttl` seconds (one
LIST of cluster Secrets per interval, not per refresh); with `catalog_source` (a worker's watched
catalog, gitops.registry.watched) it asks that instead on every call, so a new or changed cluster
Secret counts from the next refresh and steady state costs no LIST. It builds each cluster's port once with
`KubeClusterPort.connect(..., qps=settings.cluster_qps, burst=settings.cluster_burst)`, and replaces
it when its Secret's content changes (the old one is closed). The in-cluster destination uses the
port `in_cluster()` builds from the management cluster's own configuration (`in_cluster_port`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gitops.cluster.connection import ClusterConnection
from gitops.cluster.port import ClusterPort
from gitops.clusters.catalog import ClusterCatalog
from gitops.clusters.secrets import ClusterRecord
from gitops.settings import Settings

SecretLister = Callable[[], Iterable[Mapping[str, Any]]]
PortFactory = Callable[[ClusterConnection, Settings], ClusterPort]


def kube_port(connection: ClusterConnection, settings: Settings) -> ClusterPort:
    from gitops.cluster.kube import KubeClusterPort

    port = KubeClusterPort.connect(
        connection,
        field_manager=settings.field_manager,
        qps=settings.cluster_qps,
        burst=settings.cluster_burst,
    )
    with_request_timeout(port, settings.cluster_request_timeout_seconds)
    return port


def in_cluster_port(api_client: Any, settings: Settings) -> ClusterPort:
    """The in-cluster destination's port over the management cluster's own ApiClient (give it one
    of its own: the port wraps the client's calls), with the QPS, burst and request time limit a
    registered cluster's port gets."""
    from gitops.cluster.kube import KubeClusterPort
    from gitops.cluster.ratelimit import TokenBucket

    port = KubeClusterPort(
        api_client,
        field_manager=settings.field_manager,
        cluster="in-cluster",
        rate_limiter=TokenBucket(settings.cluster_qps, settings.cluster_burst),
    )
    with_request_timeout(port, settings.cluster_request_timeout_seconds)
    return port


def with_request_timeout(port: Any, seconds: float) -> None:
    """Give every request of a KubeClusterPort a (connect, read) time limit unless it sets its own:
    the client's default is none, so a blackholed cluster would hold a worker until its task limit."""
    api = getattr(port, "_api", None)
    if api is None:
        return
    inner = api.call_api
    limit = (min(5.0, seconds), seconds)

    def call_api(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = limit
        return inner(*args, **kwargs)

    api.call_api = call_api


class ClusterPorts:
    def __init__(
        self,
        settings: Settings,
        list_secrets: SecretLister,
        in_cluster: Callable[[], ClusterPort],
        *,
        port_factory: PortFactory = kube_port,
        catalog_ttl: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        catalog_source: Callable[[], ClusterCatalog] | None = None,
    ) -> None:
        self.settings = settings
        self._list_secrets = list_secrets
        self._in_cluster_factory = in_cluster
        self._port_factory = port_factory
        self._ttl = catalog_ttl
        self._clock = clock
        self._catalog_source = catalog_source
        self._lock = threading.RLock()
        self._catalog: ClusterCatalog | None = None
        self._loaded_at = 0.0
        self._ports: dict[str, tuple[str, ClusterPort]] = {}

    def catalog(self, *, fresh: bool = False) -> ClusterCatalog:
        """The registered clusters: from `catalog_source` when given (always current: `fresh` is
        moot), else re-listed when older than `catalog_ttl` or when `fresh`."""
        if self._catalog_source is not None:
            return self._catalog_source()
        with self._lock:
            now = self._clock()
            if fresh or self._catalog is None or now - self._loaded_at >= self._ttl:
                self._catalog = ClusterCatalog.from_secrets(self._list_secrets())
                self._loaded_at = now
            return self._catalog

    def port(self, record: ClusterRecord) -> ClusterPort:
        """The port of a cluster; rebuilt when its Secret changed since the port was made."""
        with self._lock:
            held = self._ports.get(record.name)
            if held is not None and held[0] == record.digest:
                return held[1]
            if held is not None:
                _close(held[1])
            if record.connection is None:
                port = self._in_cluster_factory()
            else:
                port = self._port_factory(record.connection, self.settings)
            self._ports[record.name] = (record.digest, port)
            return port

    def resolve(
        self, destination: Mapping[str, Any], app: str | None = None
    ) -> tuple[ClusterRecord, ClusterPort]:
        """The cluster record and port for an app's destination (SpecError when unknown)."""
        record = self.catalog().resolve(destination, app)
        return record, self.port(record)

    def close(self) -> None:
        with self._lock:
            ports, self._ports = [p for _, p in self._ports.values()], {}
        for port in ports:
            _close(port)


def _close(port: object) -> None:
    close = getattr(port, "close", None)
    if callable(close):
        close()
