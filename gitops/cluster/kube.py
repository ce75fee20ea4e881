"""`KubeClusterPort`: the `ClusterPort` over the official kubernetes client's DynamicClient.

With `gitops.cluster.kube_transport` (requests, errors, discovery cache) and `gitops.cluster.kube_client`
(building and configuring the `ApiClient`), the only modules of the package importing `kubernetes`.
This one holds the port's verbs: lists paged by `LIST_PAGE_SIZE`, get (None when absent), server-side
apply, create, replace and delete (a 404 is success). HTTP-level retries are limited to connection
failures: a 429/503 surfaces at once as a ClusterError with `retry_after`.
"""

from __future__ import annotations

import builtins
import tempfile
from typing import Any

from gitops.cluster import kube_client
from gitops.cluster.connection import ClusterConnection
from gitops.cluster.kube_transport import UNKNOWN_KIND_TTL_SECONDS, KubeTransport
from gitops.cluster.port import PROPAGATION_POLICIES, Obj, ResourceInfo
from gitops.cluster.ratelimit import TokenBucket
from gitops.cluster.statuses import describe
from gitops.errors import ClusterError

__all__ = ["LIST_PAGE_SIZE", "UNKNOWN_KIND_TTL_SECONDS", "KubeClusterPort"]
LIST_PAGE_SIZE = 500


class KubeClusterPort(KubeTransport):
    """One cluster, reached with an `ApiClient`. Thread-safe for discovery; share one per cluster."""

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, *, field_manager: str = "bosun"
    ) -> KubeClusterPort:
        api = kube_client.from_kubeconfig(path, context)
        return cls(api, field_manager=field_manager, cluster=context or path or "")

    @classmethod
    def connect(
        cls,
        connection: ClusterConnection,
        *,
        field_manager: str = "bosun",
        qps: float | None = None,
        burst: int | None = None,
    ) -> KubeClusterPort:
        """A port for a cluster registered as an Argo CD cluster Secret. PEM material goes to files
        (mode 0600) in the port's private directory, removed by `close()`."""
        work_dir = tempfile.mkdtemp(prefix="bosun-cluster-")
        limiter = TokenBucket(qps, burst or max(1, int(qps * 2))) if qps else None
        return cls(
            kube_client.for_connection(connection, work_dir),
            field_manager=field_manager,
            cluster=connection.name,
            rate_limiter=limiter,
            work_dir=work_dir,
        )

    def server_version(self) -> str:
        with self._op("version"):
            return str(self._request("GET", "/version", "version")["gitVersion"])

    # --- reads ---
    def list(
        self, info: ResourceInfo, namespace: str | None = None, label_selector: str | None = None
    ) -> builtins.list[Obj]:
        items: builtins.list[Obj] = []
        token: str | None = None
        what = describe(info.kind + " list", namespace, None) + (
            f" ({label_selector})" if label_selector else ""
        )
        with self._op("list"):
            while True:
                page = self._request(
                    "GET",
                    self._path(info, namespace),
                    what,
                    label_selector=label_selector,
                    limit=LIST_PAGE_SIZE,
                    _continue=token,
                )
                for item in page.get("items") or []:
                    item["apiVersion"] = info.api_version
                    item["kind"] = info.kind
                    items.append(item)
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return items

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        with self._op("get"):
            try:
                obj = self._request(
                    "GET", self._path(info, namespace, name), describe(info.kind, namespace, name)
                )
            except ClusterError as exc:
                if exc.code == 404:
                    return None
                raise
        obj.setdefault("apiVersion", info.api_version)
        obj.setdefault("kind", info.kind)
        return obj

    # --- writes ---
    def apply(
        self,
        obj: Obj,
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str | None = None,
    ) -> Obj:
        info, namespace, name = self._info_of(obj)
        query = [("fieldValidation", field_validation)] if field_validation else []
        with self._op("apply"):
            return self._request(
                "PATCH",
                self._path(info, namespace, name),
                describe(info.kind, namespace, name),
                body=obj,
                content_type="application/apply-patch+yaml",
                field_manager=field_manager,
                force_conflicts=force,
                dry_run="All" if dry_run else None,
                query_params=query,
            )

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        info, namespace, name = self._info_of(obj)
        meta = obj.get("metadata") or {}
        with self._op("create"):
            return self._request(
                "POST",
                self._path(info, namespace),
                describe(info.kind, namespace, name or meta.get("generateName")),
                body=obj,
                field_manager=self.field_manager,
                dry_run="All" if dry_run else None,
            )

    def replace(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        info, namespace, name = self._info_of(obj)
        with self._op("replace"):
            return self._request(
                "PUT",
                self._path(info, namespace, name),
                describe(info.kind, namespace, name),
                body=obj,
                field_manager=self.field_manager,
                dry_run="All" if dry_run else None,
            )

    def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Foreground",
        dry_run: bool = False,
    ) -> None:
        if propagation not in PROPAGATION_POLICIES:
            raise ClusterError(
                f"unknown propagation policy {propagation!r}",
                target=describe(info.kind, namespace, name),
                hint="use Foreground, Background or Orphan",
            )
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if dry_run:
            body["dryRun"] = ["All"]
        with self._op("delete"):
            try:
                self._request(
                    "DELETE",
                    self._path(info, namespace, name),
                    describe(info.kind, namespace, name),
                    body=body,
                )
            except ClusterError as exc:
                if exc.code != 404:
                    raise
