"""Read Applications/AppProjects and write Application status back, fenced.

`write_status(name, status, fence)` stores the fencing number in `status.bosun.fence` and replaces
the status (through `/status` or by patching the resource, whichever the installed CRD serves:
gitops.registry.status_write) with the resourceVersion it read (optimistic concurrency): a writer
whose fence is lower than the stored one gets LockLostError, and a concurrent write in between makes
the API answer 409, after which the check is repeated on the fresh object. Together with the Redis-side check
(status_write.lua) a worker that lost its lock can overwrite neither the hot nor the durable status.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gitops.errors import ClusterError, LockLostError
from gitops.registry.status_write import JSON_PATCH, Request, StatusWrite

GROUP = "argoproj.io"
VERSION = "v1alpha1"
APPLICATIONS = "applications"
APPPROJECTS = "appprojects"
APPLICATIONSETS = "applicationsets"
MAX_CONFLICT_RETRIES = 8

Obj = dict[str, Any]


def durable_fence(resource: Mapping[str, Any]) -> int:
    """The fence of the last status write recorded in the resource (0 if none)."""
    bosun = ((resource.get("status") or {}).get("bosun")) or {}
    try:
        return int(bosun.get("fence") or 0)
    except (TypeError, ValueError):
        return 0


class ApplicationRegistry:
    """Applications and AppProjects of one namespace, through the kubernetes client."""

    def __init__(self, api_client: client.ApiClient, namespace: str, page_size: int = 500) -> None:
        self.api = client.CustomObjectsApi(api_client)
        self.namespace = namespace
        self.page_size = page_size
        self._status_subresource: bool | None = None

    def _error(self, exc: ApiException, what: str, app: str | None = None) -> ClusterError:
        return ClusterError(
            f"management cluster answered {exc.status} {exc.reason}",
            app=app,
            target=f"{what} in namespace {self.namespace}",
            hint="check the CRDs from deploy/crds are installed and Bosun may read/write them",
        )

    def _list(self, plural: str) -> Iterator[Obj]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": self.page_size}
            if token:
                kwargs["_continue"] = token
            try:
                page = cast(
                    Obj,
                    self.api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, **kwargs),
                )
            except ApiException as exc:
                raise self._error(exc, plural) from None
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def _get(self, plural: str, name: str) -> Obj | None:
        try:
            obj: Obj = cast(
                Obj, self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self._error(exc, f"{plural}/{name}", app=name) from None
        return obj

    def applications(self) -> list[Obj]:
        """Every Application of the namespace (paginated reads)."""
        return list(self._list(APPLICATIONS))

    def application(self, name: str) -> Obj | None:
        return self._get(APPLICATIONS, name)

    def projects(self) -> list[Obj]:
        return list(self._list(APPPROJECTS))

    def project(self, name: str) -> Obj | None:
        return self._get(APPPROJECTS, name)

    def create(self, resource: Mapping[str, Any]) -> Obj:
        """Create an Application (`kubectl apply` equivalent for a new one)."""
        body = copy.deepcopy(dict(resource))
        body.setdefault("metadata", {})["namespace"] = self.namespace
        try:
            created: Obj = cast(
                Obj,
                self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, APPLICATIONS, body),
            )
        except ApiException as exc:
            raise self._error(exc, "applications", app=(body.get("metadata") or {}).get("name")) from None
        return created

    def delete(self, name: str, propagation: str = "Foreground") -> bool:
        try:
            self.api.delete_namespaced_custom_object(
                GROUP, VERSION, self.namespace, APPLICATIONS, name, propagation_policy=propagation
            )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise self._error(exc, f"applications/{name}", app=name) from None
        return True

    def _send(self, name: str, requests: list[Request]) -> Obj:
        """Send the requests in order, each guarded by the resourceVersion the previous one left."""
        updated: Obj = {}
        version = ""
        for request in requests:
            body = request.at_version(version) if version else request.body
            if request.target == "status":
                updated = cast(Obj, self.api.replace_namespaced_custom_object_status(
                    GROUP, VERSION, self.namespace, APPLICATIONS, name, body))  # fmt: skip
            else:
                updated = cast(Obj, self.api.patch_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, APPLICATIONS, name, body, _content_type=JSON_PATCH))  # fmt: skip
            version = str(updated["metadata"]["resourceVersion"])
        return updated

    def patch(self, name: str, patch: Mapping[str, Any]) -> Obj:
        """Merge-patch the Application (spec, `operation`, annotations)."""
        try:
            obj: Obj = cast(
                Obj,
                self.api.patch_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, APPLICATIONS, name, dict(patch)
                ),
            )
        except ApiException as exc:
            raise self._error(exc, f"applications/{name}", app=name) from None
        return obj

    def status_subresource(self) -> bool:
        """True when the installed Application CRD serves `/status` (Bosun's CRD), False for Argo CD's
        own CRD, which has none (asked once per registry through discovery)."""
        if self._status_subresource is None:
            try:
                listing = self.api.get_api_resources(GROUP, VERSION)
            except ApiException as exc:
                raise self._error(exc, f"discovery of {GROUP}/{VERSION}") from None
            self._status_subresource = any(r.name == f"{APPLICATIONS}/status" for r in listing.resources)
        return self._status_subresource

    def write_status(
        self,
        name: str,
        status: Mapping[str, Any],
        fence: int,
        *,
        current: Mapping[str, Any] | None = None,
        keep: tuple[str, ...] = (),
        finished: Mapping[str, Any] | None = None,
        start: Mapping[str, Any] | None = None,
    ) -> Obj | None:
        """Replace the app's status if `fence` is not older than the stored one.

        `current`: the resource as the caller last read it (saves a read; a stale one costs a 409 and a
        re-read). `keep`: status keys kept from the stored status when `status` lacks them.
        `finished`/`start`: remove `.operation` if it is still `finished`, or set `start` if the app
        has no operation, together with the status (gitops.registry.status_write).
        Returns the updated resource, None if the Application no longer exists; raises LockLostError
        when a newer fence already wrote.
        """
        write = StatusWrite(name, self.namespace, status, fence, keep, finished, start)
        for _attempt in range(MAX_CONFLICT_RETRIES):
            if current is None:
                current = self.application(name)
                if current is None:
                    return None
            stored = durable_fence(current)
            if fence < stored:
                raise LockLostError(
                    f"status write with fence {fence} rejected: the Application holds fence {stored}",
                    app=name,
                    target=f"applications/{name} in namespace {self.namespace}",
                    hint="nothing to do: the newer worker's result wins",
                )
            try:
                updated = self._send(name, write.requests(current, self.status_subresource()))
            except ApiException as exc:
                current = None
                if exc.status == 409:
                    continue
                if exc.status == 404:
                    return None
                raise self._error(exc, f"applications/{name}", app=name) from None
            return updated
        raise ClusterError(
            f"status write kept conflicting after {MAX_CONFLICT_RETRIES} attempts",
            app=name,
            target=f"applications/{name}/status",
            hint="another writer updates this Application continuously; the next refresh retries",
        )
