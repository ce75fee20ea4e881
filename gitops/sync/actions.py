"""The cluster writes of a sync: dry-run, apply (server-side apply, or create/replace with Replace,
delete-and-recreate with Force), hook creation that a repeated step never duplicates, prune, namespace.

Hooks carry the annotation `bosun.dev/sync-operation: <operation id>/<attempt>`: before creating a hook
the engine reads it by its deterministic name; one marked with this attempt is adopted, never re-created.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

from gitops.cluster.port import ClusterPort, ResourceInfo
from gitops.errors import ClusterError
from gitops.sync.hooks import BEFORE_HOOK_CREATION
from gitops.sync.tasks import SyncTask

Obj = dict[str, Any]
OPERATION_ANNOTATION = "bosun.dev/sync-operation"


def _accepts(method: Any, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


class ClusterActions:
    """Writes through the cluster port on behalf of one app's sync."""

    def __init__(
        self, cluster: ClusterPort, *, field_manager: str, app: str, tracking_annotation: str
    ) -> None:
        self.cluster = cluster
        self.field_manager = field_manager
        self.app = app
        self.tracking_annotation = tracking_annotation
        self._validation = _accepts(cluster.apply, "field_validation")

    # --- discovery ---
    def info(self, task: SyncTask) -> ResourceInfo:
        """The task's resource type; discovery is refreshed once when the kind is unknown (new CRD)."""
        try:
            return self.cluster.resource_for(task.api_version, task.key.kind)
        except ClusterError as err:
            if err.code != 404 and err.reason != "NotFound":
                raise
            self.cluster.refresh_discovery()
            return self.cluster.resource_for(task.api_version, task.key.kind)

    def get(self, task: SyncTask) -> Obj | None:
        return self.cluster.get(self.info(task), task.key.namespace or None, task.key.name)

    # --- resources ---
    def _apply_kwargs(self, task: SyncTask) -> dict[str, Any]:
        if not self._validation:
            return {}
        return {"field_validation": "Strict" if task.options.validate else "Ignore"}

    def dry_run(self, task: SyncTask, target: Obj) -> None:
        """Validate the change on the server without persisting it."""
        if task.is_hook:
            if task.live is None:
                self.cluster.create(target, dry_run=True)
            elif BEFORE_HOOK_CREATION not in task.delete_policies:
                self.cluster.apply(target, field_manager=self.field_manager, force=True, dry_run=True)
            # else: the old copy is deleted before the hook is created; validating against it means nothing
            return
        if task.options.replace and task.live is not None:
            self.cluster.replace(_for_replace(target, task.live), dry_run=True)
        elif task.options.replace:
            self.cluster.create(target, dry_run=True)
        else:
            self.cluster.apply(
                target, field_manager=self.field_manager, force=True, dry_run=True, **self._apply_kwargs(task)
            )

    def apply(self, task: SyncTask, target: Obj) -> str:
        """Apply one resource; returns Argo CD's message (created, configured, replaced...)."""
        info = self.info(task)
        namespace = task.key.namespace or None
        if task.options.replace:
            live = self.cluster.get(info, namespace, task.key.name)
            if live is None:
                self.cluster.create(target)
                return f"{task.key.kind.lower()}/{task.key.name} created"
            if task.options.force:
                self._delete_and_wait_start(info, task)
                self.cluster.create(target)
                return f"{task.key.kind.lower()}/{task.key.name} replaced (deleted and recreated)"
            self.cluster.replace(_for_replace(target, live))
            return f"{task.key.kind.lower()}/{task.key.name} replaced"
        try:
            self.cluster.apply(
                target, field_manager=self.field_manager, force=True, **self._apply_kwargs(task)
            )
        except ClusterError as err:
            if not (task.options.force and err.code == 422):
                raise
            self._delete_and_wait_start(info, task)
            self.cluster.create(target)
            return f"{task.key.kind.lower()}/{task.key.name} recreated (Force=true)"
        verb = "created" if task.live is None else "configured"
        return f"{task.key.kind.lower()}/{task.key.name} {verb}"

    def _delete_and_wait_start(self, info: ResourceInfo, task: SyncTask) -> None:
        self.cluster.delete(info, task.key.namespace or None, task.key.name, propagation="Background")

    # --- hooks ---
    def hook_marker(self, operation_id: str, attempt: int) -> str:
        return f"{operation_id}/{attempt}"

    def start_hook(self, task: SyncTask, marker: str) -> tuple[str, str]:
        """Create the hook unless this attempt already did. Returns (hook phase, message).

        A phase of `Pending` means an older copy is still being deleted (BeforeHookCreation).
        """
        assert task.target is not None
        info = self.info(task)
        namespace = task.key.namespace or None
        live = self.cluster.get(info, namespace, task.key.name)
        if live is not None and _annotation(live, OPERATION_ANNOTATION) == marker:
            return "Running", "hook already created by this operation"
        if live is not None:
            if live.get("metadata", {}).get("deletionTimestamp"):
                return "Pending", "waiting for the previous hook object to be deleted"
            if BEFORE_HOOK_CREATION in task.delete_policies:
                self.cluster.delete(info, namespace, task.key.name, propagation="Background")
                if self.cluster.get(info, namespace, task.key.name) is not None:
                    return "Pending", "waiting for the previous hook object to be deleted"
            else:
                target = _with_annotation(task.target, OPERATION_ANNOTATION, marker)
                self.cluster.apply(target, field_manager=self.field_manager, force=True)
                return "Running", f"{task.key.kind.lower()}/{task.key.name} configured"
        target = _with_annotation(task.target, OPERATION_ANNOTATION, marker)
        try:
            self.cluster.create(target)
        except ClusterError as err:
            if err.code != 409:
                raise
            again = self.cluster.get(info, namespace, task.key.name)
            if again is None or _annotation(again, OPERATION_ANNOTATION) != marker:
                raise
        return "Running", f"{task.key.kind.lower()}/{task.key.name} created"

    def delete_hook(self, task: SyncTask) -> None:
        self.cluster.delete(
            self.info(task), task.key.namespace or None, task.key.name, propagation="Background"
        )

    # --- prune and namespace ---
    def prune(self, task: SyncTask, *, dry_run: bool) -> None:
        self.cluster.delete(
            self.info(task),
            task.key.namespace or None,
            task.key.name,
            propagation=task.options.prune_propagation,
            dry_run=dry_run,
        )

    def ensure_namespace(self, name: str, labels: Mapping[str, str], annotations: Mapping[str, str]) -> None:
        """CreateNamespace: apply the namespace with managedNamespaceMetadata."""
        namespace: Obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels), "annotations": dict(annotations)},
        }
        info = self.cluster.resource_for("v1", "Namespace")
        live = self.cluster.get(info, None, name)
        if live is None or labels or annotations:
            # Not tracked (as in Argo CD): the namespace outlives the app and is never pruned.
            self.cluster.apply(namespace, field_manager=self.field_manager, force=True)


def _annotation(obj: Mapping[str, Any], name: str) -> str | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(name)
    return str(value) if value is not None else None


def _with_annotation(obj: Obj, name: str, value: str) -> Obj:
    result = copy.deepcopy(obj)
    result.setdefault("metadata", {}).setdefault("annotations", {})[name] = value
    return result


def _for_replace(target: Obj, live: Obj) -> Obj:
    """A PUT body: the target with the live resourceVersion (immutable fields kept by the server)."""
    body = copy.deepcopy(target)
    rv = (live.get("metadata") or {}).get("resourceVersion")
    if rv:
        body["metadata"]["resourceVersion"] = rv
    return body
