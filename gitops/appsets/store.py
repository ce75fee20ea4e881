"""Kubernetes I/O of the ApplicationSet controller, in the management namespace: sets, their
Applications, cluster Secrets, and the set's status subresource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gitops.appsets.clusters import CLUSTER_SECRET_LABEL
from gitops.errors import ClusterError

GROUP, VERSION = "argoproj.io", "v1alpha1"
Obj = dict[str, Any]


class AppSetStore:
    def __init__(self, api_client: client.ApiClient, namespace: str) -> None:
        self.api_client = api_client
        self.custom = client.CustomObjectsApi(api_client)
        self.core = client.CoreV1Api(api_client)
        self.namespace = namespace

    def _error(self, exc: ApiException, what: str, appset: str | None = None) -> ClusterError:
        return ClusterError(f"management cluster answered {exc.status} {exc.reason}", app=appset,
                            target=f"{what} in namespace {self.namespace}",
                            hint="check the CRDs from deploy/crds are installed and Bosun may read/write them")  # fmt: skip

    def _list(self, plural: str) -> list[Obj]:
        try:
            page = cast(
                Obj, self.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, plural)
            )
        except ApiException as exc:
            raise self._error(exc, plural) from None
        return list(page.get("items") or [])

    def appsets(self) -> list[Obj]:
        return self._list("applicationsets")

    def appset(self, name: str) -> Obj | None:
        try:
            return cast(
                Obj,
                self.custom.get_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, "applicationsets", name
                ),
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise self._error(exc, f"applicationsets/{name}", name) from None

    def applications(self) -> list[Obj]:
        return self._list("applications")

    def cluster_secrets(self) -> list[Obj]:
        try:
            found = self.core.list_namespaced_secret(
                self.namespace, label_selector=f"{CLUSTER_SECRET_LABEL}=cluster"
            )
        except ApiException as exc:
            raise self._error(exc, "cluster secrets") from None
        return [cast(Obj, self.api_client.sanitize_for_serialization(item)) for item in found.items]

    def create_application(self, app: Mapping[str, Any], appset: str) -> None:
        try:
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "applications", dict(app)
            )
        except ApiException as exc:
            raise self._error(exc, f"applications/{app['metadata']['name']}", appset) from None

    def replace_application(self, app: Mapping[str, Any], appset: str) -> None:
        name = app["metadata"]["name"]
        try:
            self.custom.replace_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "applications", name, dict(app)
            )
        except ApiException as exc:
            raise self._error(exc, f"applications/{name}", appset) from None

    def delete_application(self, name: str, appset: str) -> None:
        try:
            self.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, "applications", name)
        except ApiException as exc:
            if exc.status != 404:
                raise self._error(exc, f"applications/{name}", appset) from None

    def write_status(self, name: str, status: Mapping[str, Any]) -> None:
        """Merge-patch the set's status subresource (a set deleted meanwhile is ignored)."""
        try:
            self.custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, self.namespace, "applicationsets", name, {"status": dict(status)}
            )
        except ApiException as exc:
            if exc.status != 404:
                raise self._error(exc, f"applicationsets/{name}/status", name) from None
