"""The plumbing under `gitops.cluster.kube.KubeClusterPort`: one official `ApiClient` per cluster, request
counting by verb (discovery counted apart), the optional QPS limiter, errors turned into `ClusterError`
naming the resource (`code`, `reason`, `retry_after` on 429/503), bodies decoded with orjson straight
from the response, and discovery cached per port (thread-safe; an unknown kind is remembered as unknown
for a few seconds so a broken manifest does not re-run discovery on every lookup).
"""

from __future__ import annotations

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
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError, ResourceNotUniqueError

from gitops.cluster import kube_client
from gitops.cluster.port import CallCounter, Obj, ResourceInfo
from gitops.cluster.ratelimit import TokenBucket
from gitops.cluster.statuses import describe, hint_for, retry_after_of, status_message, unknown_kind
from gitops.errors import ClusterError

T = TypeVar("T")
UNKNOWN_KIND_TTL_SECONDS = 10.0


class KubeTransport:
    """Requests, errors and discovery for one cluster. Thread-safe for discovery; share one per cluster."""

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
        kube_client.no_status_retries(api_client)

    def close(self) -> None:
        self._api.close()
        shutil.rmtree(self._cache_dir, ignore_errors=True)

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
