"""Shared helpers of the server-side apply tests (test_apply_ssa*.py): builtin resource types, sample
objects, and `apply` / `entries` / `entry` over kubesim.apply's pure functions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubesim.apply import server_side_apply
from kubesim.resources import BUILTINS

_RT = {(rt.group, rt.kind): rt for rt in BUILTINS}
DEPLOYMENT, CONFIGMAP = _RT["apps", "Deployment"], _RT["", "ConfigMap"]
WIDGET = replace(CONFIGMAP, group="example.com", version="v1", kind="Widget", plural="widgets", custom=True)
T0, T1, T2, T3 = (f"2026-01-01T00:0{i}:00Z" for i in range(4))


def cm(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default"},
        "data": data,
    }


def deployment(replicas: int | None = 3, image: str = "nginx:1", **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "web", "image": image, **extra}]}},
    }  # fmt: skip
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }


def apply(
    live: dict | None,
    applied: dict,
    manager: str = "a",
    force: bool = False,
    now: str = T0,
    rt: Any = None,
    **kw: Any,
) -> dict:
    return server_side_apply(live, applied, manager=manager, force=force, rt=rt or CONFIGMAP, now=now, **kw)


def entries(obj: dict) -> list[dict]:
    return obj["metadata"].get("managedFields", [])


def entry(obj: dict, manager: str) -> dict:
    return next(e for e in entries(obj) if e["manager"] == manager)
