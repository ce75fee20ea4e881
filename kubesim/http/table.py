"""Server-side printing: the meta.k8s.io/v1 Table kubectl asks for (NAME and AGE columns), and
PartialObjectMetadata(List) views."""

from __future__ import annotations

from typing import Any

from kubesim.meta import age

Obj = dict[str, Any]

_COLUMNS = [
    {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name must be unique within a namespace. "
        "Is required when creating resources, although some resources may allow a client to request the generation "
        "of an appropriate name automatically.",
        "priority": 0,
    },
    {
        "name": "Age",
        "type": "string",
        "format": "",
        "description": "CreationTimestamp is a timestamp representing "
        "the server time when this object was created.",
        "priority": 0,
    },
]


def partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def _row(obj: Obj, include: str) -> Obj:
    md = obj.get("metadata", {})
    row: Obj = {"cells": [md.get("name", ""), age(md.get("creationTimestamp"))]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = partial(obj)
    return row


def table(objects: list[Obj], list_meta: Obj, include: str = "Metadata") -> Obj:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": _COLUMNS,
        "rows": [_row(obj, include) for obj in objects],
    }


def partial_list(objects: list[Obj], list_meta: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "items": [partial(o) for o in objects],
    }
