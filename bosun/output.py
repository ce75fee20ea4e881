"""Rendering of CLI results: aligned text tables, JSON and YAML, and the Application row/summary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

FORMATS = ("table", "json", "yaml")
APP_COLUMNS = ("NAME", "PROJECT", "SYNC", "HEALTH", "REVISION", "OPERATION", "DESTINATION")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns left-aligned, two spaces apart; empty cells print as '-'."""
    cells = [[str(c) if c not in (None, "") else "-" for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def dump(data: Any, fmt: str) -> str:
    """`data` as JSON (indented) or YAML (block style, keys in their order)."""
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False)
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")
    raise ValueError(f"unknown output format {fmt!r}")


def short_sha(revision: Any) -> str:
    text = str(revision or "")
    return text[:8] if len(text) == 40 and all(c in "0123456789abcdef" for c in text) else text


def _status(app: Mapping[str, Any]) -> Mapping[str, Any]:
    return app.get("status") or {}


def sync_status(app: Mapping[str, Any]) -> str:
    return str((_status(app).get("sync") or {}).get("status") or "Unknown")


def health_status(app: Mapping[str, Any]) -> str:
    return str((_status(app).get("health") or {}).get("status") or "Unknown")


def operation_phase(app: Mapping[str, Any]) -> str:
    return str((_status(app).get("operationState") or {}).get("phase") or "")


def destination(app: Mapping[str, Any]) -> str:
    dest = (app.get("spec") or {}).get("destination") or {}
    cluster = dest.get("name") or dest.get("server") or ""
    namespace = dest.get("namespace") or ""
    return f"{cluster}/{namespace}" if namespace else str(cluster)


def app_row(app: Mapping[str, Any]) -> list[Any]:
    meta = app.get("metadata") or {}
    return [
        meta.get("name"),
        (app.get("spec") or {}).get("project"),
        sync_status(app),
        health_status(app),
        short_sha((_status(app).get("sync") or {}).get("revision")),
        operation_phase(app),
        destination(app),
    ]


def app_table(apps: Sequence[Mapping[str, Any]]) -> str:
    return table(APP_COLUMNS, [app_row(a) for a in apps])


def app_summary(app: Mapping[str, Any]) -> str:
    """`bosun app get` text: key facts, conditions, then the resources table."""
    meta, spec, status = app.get("metadata") or {}, app.get("spec") or {}, _status(app)
    source = spec.get("source") or ((spec.get("sources") or [{}])[0])
    operation = status.get("operationState") or {}
    facts = [
        ("Name", meta.get("name")),
        ("Project", spec.get("project")),
        ("Destination", destination(app)),
        ("Repo", source.get("repoURL")),
        ("Path", source.get("path") or source.get("chart")),
        ("Target", source.get("targetRevision") or "HEAD"),
        ("Sync", f"{sync_status(app)} to {short_sha((status.get('sync') or {}).get('revision')) or '-'}"),
        ("Health", " ".join(filter(None, [health_status(app), (status.get("health") or {}).get("message")]))),
        ("Operation", " ".join(filter(None, [operation.get("phase"), operation.get("message")]))),
        ("Reconciled", status.get("reconciledAt")),
    ]
    width = max(len(k) for k, _ in facts) + 1
    lines = [f"{(k + ':').ljust(width)}  {v if v not in (None, '') else '-'}" for k, v in facts]
    for cond in status.get("conditions") or []:
        lines.append(f"Condition:  {cond.get('type')}: {cond.get('message')}")
    resources = status.get("resources") or []
    if resources:
        lines.append("")
        rows = [
            [r.get("group") or "", r.get("kind"), r.get("namespace"), r.get("name"), r.get("status"),
             (r.get("health") or {}).get("status"), (r.get("health") or {}).get("message")]
            for r in resources
        ]  # fmt: skip
        lines.append(table(("GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "MESSAGE"), rows))
    return "\n".join(lines)


def history_table(history: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for entry in history:
        source = entry.get("source") or {}
        by = entry.get("initiatedBy") or {}
        who = "automated" if by.get("automated") else by.get("username")
        rows.append([entry.get("id"), entry.get("deployedAt"), short_sha(entry.get("revision")),
                     source.get("targetRevision"), who])  # fmt: skip
    return table(("ID", "DEPLOYED", "REVISION", "TARGET", "BY"), rows)


def events_table(events: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for event in events:
        at = datetime.fromtimestamp(float(event.get("at") or 0), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append([at, event.get("kind"), event.get("by"), event.get("message")])
    return table(("TIME", "EVENT", "BY", "MESSAGE"), rows)
