"""`KubeClusterPort`: the `ClusterPort` over the official kubernetes client's DynamicClient.

The only module that imports `kubernetes`. Discovery is cached per port instance (one port per
cluster, kept for the life of the worker process); unknown kinds are remembered as unknown for a
few seconds so a broken manifest does not re-run discovery on every lookup. HTTP-level retries are
limited to connection failures: a 429/503 surfaces at once as a ClusterError with `retry_after`. Bodies are decoded with
orjson straight from the response (no ResourceInstance wrapping). Every API error becomes a
`ClusterError` naming the resource, with `code`, `reason` and (429/503) `retry_after`.
"""

from __future__ import annotations

import base64
import builtins
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError, ResourceNotUniqueError
from urllib3.util.retry import Retry

from gitops.cluster.connection import ClusterConnection
from gitops.cluster.port import PROPAGATION_POLICIES, CallCounter, Obj, ResourceInfo
from gitops.cluster.ratelimit import TokenBucket
from gitops.cluster.statuses import describe, hint_for, retry_after_of, status_message, unknown_kind
from gitops.errors import ClusterError

T = TypeVar("T")
UNKNOWN_KIND_TTL_SECONDS = 10.0
LIST_PAGE_SIZE = 500


class KubeClusterPort:
    """One cluster, reached with an `ApiClient`. Thread-safe for discovery; share one per cluster."""

    def __init__(
        self,
        api_client: k8s_client.ApiClient,
        *,
        field_manager: str = "bosun",
        cluster: str = "",
        rate_limiter: TokenBucket | None = None,
        work_dir: str | None = None,
    ) -> None:
        self.calls = CallCounter()
        self.field_manager = field_manager
        self.cluster = cluster or api_client.configuration.host
        self._api = api_client
        self._lock = threading.RLock()
        self._dynamic: DynamicClient | None = None
        self._cache_dir = work_dir or tempfile.mkdtemp(prefix="bosun-cluster-")
        self._limiter = rate_limiter
        self._infos: dict[tuple[str, str], ResourceInfo] = {}
        self._unknown: dict[tuple[str, str], float] = {}
        self._resources: dict[ResourceInfo, Any] = {}
        self._local = threading.local()  # per-thread depth of port operations, for call counting
        original_call = api_client.call_api

        def counted_call(*args: Any, **kwargs: Any) -> Any:
            if getattr(self._local, "depth", 0) == 0:  # requests the port did not start itself: discovery
                self.calls.add("discovery")
            return original_call(*args, **kwargs)

        api_client.call_api = counted_call  # type: ignore[method-assign]
        _no_status_retries(api_client)

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, *, field_manager: str = "bosun"
    ) -> KubeClusterPort:
        try:
            api = k8s_config.new_client_from_config(config_file=path, context=context)
        except Exception as exc:  # the loader raises ConfigException, TypeError, OSError...
            raise ClusterError(
                f"cannot load kubeconfig: {type(exc).__name__}",
                target=path or "default kubeconfig",
                hint="check the kubeconfig path and context",
            ) from None
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
        configuration = k8s_client.Configuration()
        configuration.host = connection.server
        if connection.bearer_token:
            configuration.api_key = {"authorization": f"Bearer {connection.bearer_token}"}
        elif connection.username:
            basic = base64.b64encode(f"{connection.username}:{connection.password or ''}".encode()).decode()
            configuration.api_key = {"authorization": f"Basic {basic}"}
        for attribute, pem in (
            ("ssl_ca_cert", connection.ca_pem),
            ("cert_file", connection.cert_pem),
            ("key_file", connection.key_pem),
        ):
            if pem:
                path = os.path.join(work_dir, attribute + ".pem")
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                    handle.write(pem)
                setattr(configuration, attribute, path)
        configuration.verify_ssl = not connection.insecure
        if connection.server_name:
            configuration.tls_server_name = connection.server_name
        limiter = TokenBucket(qps, burst or max(1, int(qps * 2))) if qps else None
        return cls(
            k8s_client.ApiClient(configuration),
            field_manager=field_manager,
            cluster=connection.name,
            rate_limiter=limiter,
            work_dir=work_dir,
        )

    def close(self) -> None:
        self._api.close()
        shutil.rmtree(self._cache_dir, ignore_errors=True)

    # --- plumbing ---
    @contextmanager
    def _op(self, verb: str) -> Iterator[None]:
        self.calls.add(verb)
        if self._limiter is not None:
            self._limiter.take()
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def _error(self, exc: Exception, what: str) -> ClusterError:
        if isinstance(exc, DynamicApiError):
            message, reason = status_message(exc.body)
            return ClusterError(
                message or f"HTTP {exc.status} {exc.reason}",
                target=f"{what} on {self.cluster}",
                code=int(exc.status) if exc.status else None,
                reason=reason or str(exc.reason or ""),
                retry_after=retry_after_of(exc.headers),
                hint=hint_for(int(exc.status or 0)),
            )
        return ClusterError(
            f"cluster unreachable: {type(exc).__name__}",
            target=f"{what} on {self.cluster}",
            hint="check the cluster address and network",
        )

    def _call(self, what: str, func: Callable[[], T]) -> T:
        try:
            return func()
        except (DynamicApiError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._error(exc, what) from None

    @property
    def dynamic(self) -> DynamicClient:
        with self._lock:
            if self._dynamic is None:
                cache_file = os.path.join(self._cache_dir, "discovery.json")
                self._dynamic = self._call(
                    "discovery", lambda: DynamicClient(self._api, cache_file=cache_file)
                )
            return self._dynamic

    def _request(self, method: str, path: str, what: str, body: Any = None, **params: Any) -> Any:
        response = self._call(
            what, lambda: self.dynamic.request(method, path, body=body, serialize=False, **params)
        )
        data = response.data
        return orjson.loads(data) if data else None

    # --- discovery ---
    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        key = (api_version, kind)
        with self._lock:
            info = self._infos.get(key)
            if info is not None:
                return info
            if time.monotonic() - self._unknown.get(key, -1e9) < UNKNOWN_KIND_TTL_SECONDS:
                raise unknown_kind(api_version, kind, self.cluster)
            try:
                resource = self._call(
                    f"discovery of {kind}",
                    lambda: self.dynamic.resources.get(api_version=api_version, kind=kind),
                )
            except (ResourceNotFoundError, ResourceNotUniqueError):
                self._unknown[key] = time.monotonic()
                raise unknown_kind(api_version, kind, self.cluster) from None
            info = ResourceInfo(
                resource.group or "",
                resource.api_version,
                resource.kind,
                resource.name,
                bool(resource.namespaced),
            )
            self._infos[key] = info
            self._resources[info] = resource
            return info

    def refresh_discovery(self) -> None:
        with self._lock:
            self._infos.clear()
            self._unknown.clear()
            self._resources.clear()
            if self._dynamic is not None:
                self._call("discovery", self._dynamic.resources.invalidate_cache)

    def server_version(self) -> str:
        with self._op("version"):
            return str(self._request("GET", "/version", "version")["gitVersion"])

    def _path(self, info: ResourceInfo, namespace: str | None, name: str | None = None) -> str:
        base = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        if info.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{info.plural}"
        return f"{base}/{name}" if name else base

    def _info_of(self, obj: Obj) -> tuple[ResourceInfo, str | None, str]:
        info = self.resource_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") if info.namespaced else None
        if info.namespaced and not namespace:
            raise ClusterError(
                "namespaced object without metadata.namespace",
                target=describe(info.kind, None, meta.get("name") or meta.get("generateName")),
                hint="set the namespace or the app's destination namespace",
            )
        return info, namespace, str(meta.get("name") or "")

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


def _no_status_retries(api_client: k8s_client.ApiClient) -> None:
    """urllib3's default retries a 429/503 after sleeping its Retry-After, hiding throttling from the
    engine (which must back off itself) and blocking the worker: retry only connection failures (and
    read failures of idempotent methods), never on a status."""
    pool_manager = api_client.rest_client.pool_manager
    pool_manager.connection_pool_kw["retries"] = Retry(
        total=2,
        connect=2,
        read=2,
        redirect=0,
        status=0,
        other=0,
        status_forcelist=(),
        respect_retry_after_header=False,
    )
    pool_manager.clear()
