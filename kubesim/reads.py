"""The read side of `kubesim.api.Api`: GET of one object (and its `/scale` view), LIST with label and
field selectors, `limit` pages and `continue` tokens served from the snapshot the first page took.
Mixed into `Api` (through `WritePipeline`, which also reads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kubesim import meta, paging
from kubesim.errors import not_found
from kubesim.resources import Registry, ResourceType
from kubesim.selectors import (
    combine,
    equality_labels,
    name_of_field_selector,
    parse_field_selector,
    parse_label_selector,
)
from kubesim.store import Store, object_key
from kubesim.subresources import scale_of

Obj = dict[str, Any]
Items = list[Obj]


class Reads:
    """GET and LIST over the store; objects are presented at the version of the request's endpoint."""

    registry: Registry
    store: Store
    _snapshots: paging.Snapshots

    def present(self, rt: ResourceType, obj: Obj) -> Obj:
        """The object as served at rt's version (shared, not copied, when nothing changes)."""
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def read(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        """The stored object itself (do not mutate); 404 when absent."""
        obj = self.store.get(rt.storage_key, namespace if rt.namespaced else None, name)
        if obj is None:
            raise not_found(rt.group, rt.plural, name)
        return obj

    def get(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        subresource: str | None = None,
        copy: bool = True,
    ) -> Obj:
        obj = self.read(rt, namespace, name)
        if subresource == "scale":
            return scale_of(rt, obj)
        obj = self.present(rt, obj)
        return meta.clone(obj) if copy else obj

    def list(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        copy: bool = True,
    ) -> Obj:
        predicate = combine(
            parse_label_selector(label_selector), parse_field_selector(field_selector, rt.field_labels)
        )
        token = paging.decode(continue_token) if continue_token else None
        snapshot = self._snapshots.take(token.snapshot) if token else None
        if snapshot is not None:
            list_rv, matching = snapshot
        else:
            if token is not None and token.rv < self.store.oldest_rv():
                raise paging.expired()
            list_rv = self.store.rv
            matching = self._matching(
                rt,
                namespace,
                predicate,
                field_selector,
                token.start if token else "",
                equality_labels(label_selector),
            )
        page = matching[:limit] if limit else matching
        items = [self.present(rt, obj) for obj in page]
        list_meta: Obj = {"resourceVersion": str(list_rv)}
        rest = matching[len(page) :]
        if rest:
            snap = self._snapshots.put(list_rv, rest)
            list_meta["continue"] = paging.encode(paging.Token(list_rv, paging.continue_key(page[-1]), snap))
            if predicate is None:
                list_meta["remainingItemCount"] = len(rest)
        result = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": list_meta, "items": items}
        return meta.clone(result) if copy else result

    def _matching(
        self,
        rt: ResourceType,
        namespace: str | None,
        predicate: Callable[[Obj], bool] | None,
        field_selector: str | None,
        start_after: str,
        labelled: Sequence[tuple[str, str]] | None = None,
    ) -> Items:
        ns = namespace if rt.namespaced else None
        only = name_of_field_selector(field_selector)
        if only is not None and ns is not None:
            found = self.store.get(rt.storage_key, ns, only)
            source: Any = [found] if found is not None and object_key(ns, only) > start_after else []
        else:
            source = self.store.items(rt.storage_key, ns, start_after, labelled)
        if predicate is None:
            return list(source)
        return [obj for obj in source if predicate(obj)]
