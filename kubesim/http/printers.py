"""Server-side printing columns, as kube-apiserver's table convertors give them to `kubectl get`: the real
columns for common built-in kinds, `additionalPrinterColumns` (simple JSONPath) for custom resources,
NAME and AGE for everything else."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesim.meta import age

Obj = dict[str, Any]
Cell = Callable[[Obj], Any]
Column = tuple[str, str, int, Cell]  # name, type, priority, cell function


def _get(obj: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and len(obj) > part else None
        else:
            obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _age(obj: Obj) -> str:
    return age(_get(obj, "metadata", "creationTimestamp"))


def _pod_ready(obj: Obj) -> str:
    statuses = _get(obj, "status", "containerStatuses") or []
    total = len(_get(obj, "spec", "containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: Obj) -> str:
    if _get(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    for status in _get(obj, "status", "containerStatuses") or []:
        waiting = _get(status, "state", "waiting", "reason")
        if waiting:
            return str(waiting)
        terminated = _get(status, "state", "terminated", "reason")
        if terminated and _get(obj, "status", "phase") not in ("Succeeded",):
            return str(terminated)
    return str(_get(obj, "status", "reason") or _get(obj, "status", "phase") or "Pending")


def _restarts(obj: Obj) -> int:
    return sum(int(s.get("restartCount", 0)) for s in _get(obj, "status", "containerStatuses") or [])


def _ports(obj: Obj) -> str:
    ports = _get(obj, "spec", "ports") or []
    shown = [f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
             for p in ports]  # fmt: skip
    return ",".join(shown) or "<none>"


def _external_ip(obj: Obj) -> str:
    ingress = _get(obj, "status", "loadBalancer", "ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
    addresses += _get(obj, "spec", "externalIPs") or []
    if addresses:
        return ",".join(addresses)
    return "<pending>" if _get(obj, "spec", "type") == "LoadBalancer" else "<none>"


def _job_status(obj: Obj) -> str:
    for cond in _get(obj, "status", "conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed", "Suspended"):
            return str(cond["type"])
    return "Running"


def _count(*path: str) -> Cell:
    return lambda obj: len(_get(obj, *path) or {})


def _field(*path: str, default: Any = 0) -> Cell:
    return lambda obj: _get(obj, *path) if _get(obj, *path) is not None else default


def _ratio(ready: tuple[str, ...], desired: tuple[str, ...]) -> Cell:
    return lambda obj: (
        f"{_get(obj, *ready) or 0}/{_get(obj, *desired) if _get(obj, *desired) is not None else 1}"
    )


_BUILTIN: dict[tuple[str, str], list[Column]] = {
    ("", "pods"): [("Ready", "string", 0, _pod_ready), ("Status", "string", 0, _pod_status),
                   ("Restarts", "string", 0, _restarts), ("Age", "string", 0, _age),
                   ("IP", "string", 1, _field("status", "podIP", default="<none>")),
                   ("Node", "string", 1, _field("spec", "nodeName", default="<none>"))],
    ("apps", "deployments"): [("Ready", "string", 0, _ratio(("status", "readyReplicas"), ("spec", "replicas"))),
                              ("Up-to-date", "integer", 0, _field("status", "updatedReplicas")),
                              ("Available", "integer", 0, _field("status", "availableReplicas")),
                              ("Age", "string", 0, _age)],
    ("apps", "replicasets"): [("Desired", "integer", 0, _field("spec", "replicas", default=1)),
                              ("Current", "integer", 0, _field("status", "replicas")),
                              ("Ready", "integer", 0, _field("status", "readyReplicas")), ("Age", "string", 0, _age)],
    ("apps", "statefulsets"): [("Ready", "string", 0, _ratio(("status", "readyReplicas"), ("spec", "replicas"))),
                               ("Age", "string", 0, _age)],
    ("apps", "daemonsets"): [("Desired", "integer", 0, _field("status", "desiredNumberScheduled")),
                             ("Current", "integer", 0, _field("status", "currentNumberScheduled")),
                             ("Ready", "integer", 0, _field("status", "numberReady")),
                             ("Up-to-date", "integer", 0, _field("status", "updatedNumberScheduled")),
                             ("Available", "integer", 0, _field("status", "numberAvailable")),
                             ("Age", "string", 0, _age)],
    ("", "services"): [("Type", "string", 0, _field("spec", "type", default="ClusterIP")),
                       ("Cluster-IP", "string", 0, _field("spec", "clusterIP", default="<none>")),
                       ("External-IP", "string", 0, _external_ip), ("Port(s)", "string", 0, _ports),
                       ("Age", "string", 0, _age)],
    ("", "configmaps"): [("Data", "integer", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
                         ("Age", "string", 0, _age)],
    ("", "secrets"): [("Type", "string", 0, _field("type", default="Opaque")), ("Data", "integer", 0, _count("data")),
                      ("Age", "string", 0, _age)],
    ("", "namespaces"): [("Status", "string", 0, _field("status", "phase", default="Active")),
                         ("Age", "string", 0, _age)],
    ("", "serviceaccounts"): [("Secrets", "integer", 0, _count("secrets")), ("Age", "string", 0, _age)],
    ("", "persistentvolumeclaims"): [("Status", "string", 0, _field("status", "phase", default="Pending")),
                                     ("Volume", "string", 0, _field("spec", "volumeName", default="")),
                                     ("Capacity", "string", 0, _field("status", "capacity", "storage", default="")),
                                     ("Age", "string", 0, _age)],
    ("batch", "jobs"): [("Status", "string", 0, _job_status),
                        ("Completions", "string", 0, _ratio(("status", "succeeded"), ("spec", "completions"))),
                        ("Age", "string", 0, _age)],
    ("batch", "cronjobs"): [("Schedule", "string", 0, _field("spec", "schedule", default="")),
                            ("Suspend", "boolean", 0, _field("spec", "suspend", default=False)),
                            ("Active", "integer", 0, _count("status", "active")), ("Age", "string", 0, _age)],
    ("networking.k8s.io", "ingresses"): [
        ("Class", "string", 0, _field("spec", "ingressClassName", default="<none>")),
        ("Hosts", "string", 0, lambda o: ",".join(r.get("host", "*") for r in _get(o, "spec", "rules") or []) or "*"),
        ("Address", "string", 0, lambda o: ",".join(i.get("ip") or i.get("hostname", "")
                                                    for i in _get(o, "status", "loadBalancer", "ingress") or [])),
        ("Age", "string", 0, _age)],
    ("apiextensions.k8s.io", "customresourcedefinitions"): [
        ("Created At", "date", 0, _field("metadata", "creationTimestamp", default=""))],
}  # fmt: skip

_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]|\[\?\(@\.([\w.]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")


def jsonpath(obj: Any, path: str) -> Any:
    """The small JSONPath subset printer columns use: .a.b, [N], [?(@.k=="v")] (first match)."""
    node = obj
    for m in _STEP.finditer(path.strip().lstrip("{").rstrip("}")):
        if node is None:
            return None
        name, index, key, value = m.groups()
        if name is not None:
            node = node.get(name) if isinstance(node, dict) else None
        elif index is not None:
            node = node[int(index)] if isinstance(node, list) and len(node) > int(index) else None
        else:
            matches = [
                i for i in node or [] if isinstance(i, dict) and str(_get(i, *key.split("."))) == value
            ]
            node = matches[0] if matches else None
    return node


def _custom_columns(columns: list[Obj]) -> list[Column]:
    out: list[Column] = []
    for col in columns:
        path, kind = col.get("jsonPath", ""), col.get("type", "string")

        def cell(obj: Obj, path: str = path, kind: str = kind) -> Any:
            value = jsonpath(obj, path)
            if kind == "date":
                return age(value) if isinstance(value, str) else "<unknown>"
            return value

        out.append(
            (col.get("name", ""), "string" if kind == "date" else kind, int(col.get("priority", 0)), cell)
        )
    return out


def columns_for(group: str, plural: str, printer_columns: list[Obj] | None) -> list[Column]:
    """Columns after NAME for one resource; custom resources pass their CRD version's printer columns."""
    if printer_columns is not None:
        return _custom_columns(printer_columns) if printer_columns else [("Age", "string", 0, _age)]
    return _BUILTIN.get((group, plural), [("Age", "string", 0, _age)])
