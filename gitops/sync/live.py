"""Loading the live objects a sync step needs, with one LIST per kind (never a GET per object).

`load_live` returns the objects labelled for the app (kinds of the desired set plus `extra_kinds`,
e.g. the kinds of the last `status.resources`, so extraneous objects are found for pruning) and, with
`include_untracked`, the objects at desired keys that carry no or another app's label (shared
resources), read with one LIST per (kind, namespace).
"""

from __future__ import annotations

from collections.abc import Iterable

from gitops.cluster.port import ClusterPort
from gitops.errors import ClusterError
from gitops.sync.tasks import Obj
from gitops.tracking import KindRef, ResourceKey, kinds_to_list, label_selector


def load_live(
    cluster: ClusterPort,
    app: str,
    desired: list[Obj],
    *,
    destination_namespace: str = "",
    extra_kinds: Iterable[KindRef] = (),
    include_untracked: bool = True,
) -> list[Obj]:
    kinds = {(k.group, k.kind): k for k in kinds_to_list(desired, [])}
    for ref in extra_kinds:
        kinds.setdefault((ref.group, ref.kind), ref)
    found: dict[ResourceKey, Obj] = {}
    wanted: dict[tuple[str, str], set[str]] = {}
    for (group, kind), ref in sorted(kinds.items()):
        try:
            info = cluster.resource_for(ref.api_version, kind)
        except ClusterError as err:
            if err.code == 404:
                continue  # not served yet (a CRD in this sync)
            raise
        for obj in cluster.list(info, None, label_selector(app)):
            found[ResourceKey.of(obj, info.namespaced)] = obj
        if include_untracked:
            for obj in desired:
                if (str(obj.get("apiVersion", "")).rpartition("/")[0], obj.get("kind")) != (group, kind):
                    continue
                meta = obj.get("metadata") or {}
                if not meta.get("name"):
                    continue
                namespace = str(meta.get("namespace") or destination_namespace) if info.namespaced else ""
                key = ResourceKey(group, kind, namespace, str(meta["name"]))
                if key not in found:
                    wanted.setdefault((ref.api_version, kind), set()).add(namespace)
    for (api_version, kind), namespaces in sorted(wanted.items()):
        info = cluster.resource_for(api_version, kind)
        for namespace in sorted(namespaces):
            for obj in cluster.list(info, namespace or None):
                found.setdefault(ResourceKey.of(obj, info.namespaced), obj)
    return list(found.values())
