"""Server-side printing: the meta.k8s.io/v1 Table kubectl asks for (NAME and AGE columns), and
PartialObjectMetadata(List) views."""

from __future__ import annotations

from typing import Any

from kubesim.http.printers import Column

Obj = dict[str, Any]

_NAME = {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a "
         "namespace. Is required when creating resources, although some resources may allow a client to request "
         "the generation of an appropriate name automatically.", "priority": 0}  # fmt: skip


def _definition(column: Column) -> Obj:
    name, kind, priority, _ = column
    return {"name": name, "type": kind, "format": "", "description": name, "priority": priority}


def partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def _row(obj: Obj, include: str, columns: list[Column]) -> Obj:
    md = obj.get("metadata", {})
    row: Obj = {"cells": [md.get("name", ""), *(cell(obj) for _, _, _, cell in columns)]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = partial(obj)
    return row


def table(
    objects: list[Obj], list_meta: Obj, include: str = "Metadata", columns: list[Column] | None = None
) -> Obj:
    columns = columns or []
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [_NAME, *(_definition(c) for c in columns)],
        "rows": [_row(obj, include, columns) for obj in objects],
    }


def partial_list(objects: list[Obj], list_meta: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "items": [partial(o) for o in objects],
    }
