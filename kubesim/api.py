"""The in-process Kubernetes API: the semantics behind kubesim's HTTP routes, usable directly by simulated
controllers. One asyncio loop, no threads; every method is synchronous.

Signatures (objects are plain JSON dicts; every error is `kubesim.errors.ApiError`):

    api = Api(registry=None, watch_window=10_000)
    api.resolve(group, version, plural) -> ResourceType                      # 404 when not served
    api.rt_for(api_version, kind) -> ResourceType | None
    api.get(rt, namespace, name, *, subresource=None) -> dict               # a copy
    api.list(rt, namespace=None, *, label_selector=None, field_selector=None,
             limit=None, continue_token=None) -> dict                       # a `<Kind>List`
    api.create(rt, namespace, body, *, dry_run=False, field_manager=None, subresource=None) -> dict
    api.update(rt, namespace, name, body, *, dry_run=False, field_manager=None, subresource=None) -> dict
    api.patch(rt, namespace, name, body, *, patch_type, dry_run=False, field_manager=None,
              force=None, subresource=None) -> dict
        # patch_type: "application/json-patch+json" | "application/merge-patch+json" |
        #   "application/strategic-merge-patch+json" | "application/apply-patch+yaml" (server-side apply,
        #   creates when missing; body: dict, or YAML/JSON bytes/str). `force` (None when not given)
        #   is only for apply: any other patch type with a force is 422, as PatchOptions validation says
    api.delete(rt, namespace, name, *, dry_run=False, propagation_policy=None,
               preconditions=None, grace_period_seconds=None) -> dict        # the object, or a Status
    api.delete_collection(rt, namespace, *, label_selector=None, field_selector=None,
                          dry_run=False, propagation_policy=None) -> dict    # a `<Kind>List` of deleted items
    api.add_listener(cb)          # cb(event_type: "ADDED"|"MODIFIED"|"DELETED", rt, obj) after every stored change
    api.remove_listener(cb)
    api.write_status(rt, namespace, name, status, *, manager="kube-controller-manager") -> dict | None
        # status-only write for controllers: new resourceVersion, MODIFIED event, managedFields entry for
        # `manager` (subresource "status"); returns None when the object is gone, the unchanged object when
        # `status` equals the stored one.
    api.registry: Registry         # resource types, CRD-defined ones included
    api.store: Store               # raw storage (resourceVersion counter `api.store.rv`)

Listeners must not raise; they may call back into the Api (prefer loop.call_soon / call_later for work).

The verbs live in mixins: reads in `kubesim.reads`, create/update/patch/write_status in `kubesim.writes`
over the shared steps of `kubesim.pipeline`, PATCH request checks in `kubesim.patch_request`, deletion
in `kubesim.deletion`. This module assembles them with the store, the registry and the listeners.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kubesim import deletion, paging
from kubesim.extensions import Extensions, load
from kubesim.patch_request import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, PATCH_TYPES, STRATEGIC_PATCH
from kubesim.pipeline import Listener, Warnings
from kubesim.resources import NAMESPACES, Registry, ResourceType
from kubesim.store import Store
from kubesim.subresources import scale_of
from kubesim.writes import Writes

Obj = dict[str, Any]
__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_PATCH",
    "Api",
    "Listener",
    "Warnings",
    "scale_of",
]

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Api(Writes):
    """kube-apiserver semantics over an in-memory store."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        watch_window: int = 10_000,
        extensions: Extensions | None = None,
    ) -> None:
        self.registry = registry or Registry()
        self.store = Store(watch_window)
        self.ext = extensions or load()
        self._listeners: list[Listener] = []
        self._snapshots = paging.Snapshots()
        for ns in DEFAULT_NAMESPACES:
            self.create(NAMESPACES, None, {"metadata": {"name": ns}}, field_manager="kube-apiserver")

    # ---- lookup -------------------------------------------------------------------------------------------
    def resolve(self, group: str, version: str, plural: str) -> ResourceType:
        return self.registry.lookup(group, version, plural)

    def rt_for(self, api_version: str, kind: str) -> ResourceType | None:
        return self.registry.by_kind(api_version, kind)

    def rt_of_key(self, key: tuple[str, str]) -> ResourceType | None:
        types = self.registry.types_of(*key)
        return types[0] if types else None

    # ---- listeners ----------------------------------------------------------------------------------------
    def add_listener(self, cb: Listener) -> None:
        self._listeners.append(cb)

    def remove_listener(self, cb: Listener) -> None:
        if cb in self._listeners:
            self._listeners.remove(cb)

    def soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` after the current request (like an asynchronous controller), or now without a loop."""
        try:
            asyncio.get_running_loop().call_soon(fn)
        except RuntimeError:
            fn()

    # ---- deletion -----------------------------------------------------------------------------------------
    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        dry_run: bool = False,
        propagation_policy: str | None = None,
        preconditions: Obj | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        return deletion.delete(
            self,
            rt,
            namespace,
            name,
            dry_run=dry_run,
            propagation_policy=propagation_policy,
            preconditions=preconditions,
        )

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        dry_run: bool = False,
        propagation_policy: str | None = None,
    ) -> Obj:
        listed = self.list(
            rt, namespace, label_selector=label_selector, field_selector=field_selector, copy=False
        )
        deleted = [
            deletion.delete(
                self,
                rt,
                item["metadata"].get("namespace"),
                item["metadata"]["name"],
                dry_run=dry_run,
                propagation_policy=propagation_policy,
                preconditions=None,
                as_object=True,
            )
            for item in listed["items"]
        ]
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": deleted,
        }
