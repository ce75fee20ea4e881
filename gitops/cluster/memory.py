"""An in-process `ClusterPort` double for unit tests of pure code (like httpx's MockTransport).

Not a cluster: apply is a recursive merge (lists replaced) recording a simple managedFields entry
(lists atomic; fields dropped from Git are not removed), no defaulting, no controllers. Integration tests use kubesim over HTTP through `gitops.cluster.kube` instead.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from typing import Any

from gitops.cluster.port import CallCounter, Obj, ResourceInfo, split_api_version
from gitops.errors import ClusterError

BUILTIN_TYPES = [
    ResourceInfo("", "v1", "Namespace", "namespaces", False),
    ResourceInfo("", "v1", "ConfigMap", "configmaps", True),
    ResourceInfo("", "v1", "Secret", "secrets", True),
    ResourceInfo("", "v1", "Service", "services", True),
    ResourceInfo("", "v1", "ServiceAccount", "serviceaccounts", True),
    ResourceInfo("", "v1", "Pod", "pods", True),
    ResourceInfo("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    ResourceInfo("apps", "v1", "Deployment", "deployments", True),
    ResourceInfo("apps", "v1", "StatefulSet", "statefulsets", True),
    ResourceInfo("apps", "v1", "DaemonSet", "daemonsets", True),
    ResourceInfo("batch", "v1", "Job", "jobs", True),
    ResourceInfo("batch", "v1", "CronJob", "cronjobs", True),
    ResourceInfo("networking.k8s.io", "v1", "Ingress", "ingresses", True),
    ResourceInfo("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ResourceInfo(
        "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False
    ),
    ResourceInfo("argoproj.io", "v1alpha1", "Application", "applications", True),
]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(patch)


def _fields_v1(obj: Any) -> dict[str, Any]:
    """A FieldsV1 tree of every map key in obj (lists and scalars are leaves, as for atomic lists)."""
    tree: dict[str, Any] = {}
    for key, value in obj.items():
        tree[f"f:{key}"] = _fields_v1(value) if isinstance(value, dict) and value else {}
    return tree


def _record_manager(obj: Obj, applied: Obj, manager: str) -> None:
    meta = obj.setdefault("metadata", {})
    entries = [e for e in meta.get("managedFields") or [] if e.get("manager") != manager]
    owned = {k: v for k, v in applied.items() if k not in ("apiVersion", "kind", "status")}
    owned["metadata"] = {
        k: v for k, v in (applied.get("metadata") or {}).items() if k not in ("name", "namespace")
    }
    entries.append(
        {
            "manager": manager,
            "operation": "Apply",
            "apiVersion": applied.get("apiVersion"),
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields_v1(owned),
        }
    )
    meta["managedFields"] = entries


def _selector_matches(labels: dict[str, str], selector: str | None) -> bool:
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class MemoryClusterPort:
    """Objects kept in a dict keyed by (group, kind, namespace, name)."""

    def __init__(self, types: list[ResourceInfo] | None = None, version: str = "v1.31.0") -> None:
        self.calls = CallCounter()
        self.types = list(types or BUILTIN_TYPES)
        self.objects: dict[tuple[str, str, str, str], Obj] = {}
        self._version = version
        self._rv = itertools.count(1)

    # --- discovery ---
    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        group, version = split_api_version(api_version)
        for info in self.types:
            if (info.group, info.version, info.kind) == (group, version, kind):
                return info
        raise ClusterError(
            f"the server does not serve {kind} in {api_version}", target=kind, code=404, reason="NotFound"
        )

    def refresh_discovery(self) -> None:
        self.calls.add("discovery")

    def server_version(self) -> str:
        return self._version

    # --- reads ---
    def _key(self, obj: Obj) -> tuple[tuple[str, str, str, str], ResourceInfo]:
        info = self.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace", "") if info.namespaced else ""
        return (info.group, info.kind, namespace, meta.get("name", "")), info

    def list(
        self, info: ResourceInfo, namespace: str | None = None, label_selector: str | None = None
    ) -> list[Obj]:
        self.calls.add("list")
        found = []
        for (group, kind, ns, _), obj in sorted(self.objects.items()):
            if (group, kind) != (info.group, info.kind) or (namespace is not None and ns != namespace):
                continue
            if _selector_matches((obj.get("metadata") or {}).get("labels") or {}, label_selector):
                found.append(copy.deepcopy(obj))
        return found

    def get(self, info: ResourceInfo, namespace: str | None, name: str) -> Obj | None:
        self.calls.add("get")
        obj = self.objects.get((info.group, info.kind, namespace or "" if info.namespaced else "", name))
        return copy.deepcopy(obj) if obj else None

    # --- writes ---
    def _stamp(self, obj: Obj, previous: Obj | None) -> Obj:
        meta = obj.setdefault("metadata", {})
        meta["uid"] = (previous or {}).get("metadata", {}).get("uid") or str(uuid.uuid4())
        meta["resourceVersion"] = str(next(self._rv))
        return obj

    def apply(
        self,
        obj: Obj,
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
        field_validation: str | None = None,
    ) -> Obj:
        self.calls.add("apply")
        key, _ = self._key(obj)
        previous = self.objects.get(key)
        merged = self._stamp(_merge(previous or {}, obj), previous)
        _record_manager(merged, obj, field_manager)
        if not dry_run:
            self.objects[key] = merged
        return copy.deepcopy(merged)

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        self.calls.add("create")
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        key, info = self._key(obj)
        if key in self.objects:
            raise ClusterError(
                f'{info.plural} "{key[3]}" already exists',
                target=f"{info.kind} {key[3]}",
                code=409,
                reason="AlreadyExists",
            )
        created = self._stamp(obj, None)
        if not dry_run:
            self.objects[key] = created
        return copy.deepcopy(created)

    def replace(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        self.calls.add("replace")
        key, info = self._key(obj)
        previous = self.objects.get(key)
        if previous is None:
            raise ClusterError(
                f'{info.plural} "{key[3]}" not found',
                target=f"{info.kind} {key[3]}",
                code=404,
                reason="NotFound",
            )
        replaced = self._stamp(copy.deepcopy(obj), previous)
        if not dry_run:
            self.objects[key] = replaced
        return copy.deepcopy(replaced)

    def delete(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Foreground",
        dry_run: bool = False,
    ) -> None:
        self.calls.add("delete")
        if not dry_run:
            self.objects.pop((info.group, info.kind, namespace or "" if info.namespaced else "", name), None)
