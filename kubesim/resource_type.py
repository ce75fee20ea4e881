"""`ResourceType`: one resource kube-apiserver serves (group, version, plural) with its discovery facts
(kind, scope, verbs, short names, categories, subresources, field selectors). Built-ins are listed in
`kubesim.builtin_types`, CRD-defined ones made by `kubesim.crds`; `kubesim.resources.Registry` holds them."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True)
class ResourceType:
    """One served resource (group, version, plural) with its discovery facts."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = field(default_factory=frozenset)
    list_kind: str = ""
    custom: bool = False  # defined by a CustomResourceDefinition
    # the object kept when the resource is deleted immediately (else a Status Success answer)
    returns_deleted_object: bool = False
    # extra field selectors the real server supports for this kind (beyond metadata.name/namespace)
    field_labels: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored once per (group, plural), whatever version serves them."""
        return (self.group, self.plural)

    @property
    def resource(self) -> str:
        """`plural.group` as error messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def with_list_kind(self) -> ResourceType:
        if self.list_kind:
            return self
        return _replace(self, list_kind=self.kind + "List")


def _replace(rt: ResourceType, **changes: object) -> ResourceType:
    from dataclasses import replace

    return replace(rt, **changes)  # type: ignore[arg-type]
