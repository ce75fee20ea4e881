"""The live table of apps (name, destination, sync, health, revision, operation), read from Bosun's v1
API. On a terminal it redraws in place; otherwise it prints a new table only when a row changes."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

import httpx

from bosun.demo.processes import DemoError

COLUMNS = ("NAME", "CLUSTER", "SYNC", "HEALTH", "REVISION", "OPERATION")


@dataclass(frozen=True)
class Row:
    name: str
    cluster: str
    sync: str
    health: str
    revision: str
    operation: str

    @property
    def converged(self) -> bool:
        return self.sync == "Synced" and self.health == "Healthy" and self.operation in ("", "Succeeded")

    def cells(self) -> tuple[str, ...]:
        return (self.name, self.cluster, self.sync, self.health, self.revision[:7], self.operation)


def row_of(app: dict[str, Any], cluster_names: dict[str, str] | None = None) -> Row:
    status = app.get("status") or {}
    destination = (app.get("spec") or {}).get("destination") or {}
    server = str(destination.get("name") or destination.get("server") or "")
    names = {"https://kubernetes.default.svc": "in-cluster", **(cluster_names or {})}
    cluster = names.get(server.rstrip("/"), server)
    return Row(
        name=str(app["metadata"]["name"]), cluster=cluster,
        sync=str((status.get("sync") or {}).get("status") or "-"),
        health=str((status.get("health") or {}).get("status") or "-"),
        revision=str((status.get("sync") or {}).get("revision") or "-"),
        operation=str((status.get("operationState") or {}).get("phase") or ""),
    )  # fmt: skip


def render(rows: Iterable[Row]) -> list[str]:
    table = [COLUMNS, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table]


class AppWatcher:
    def __init__(
        self, api_url: str, token: str, out: TextIO = sys.stdout, cluster_names: dict[str, str] | None = None
    ) -> None:
        self.cluster_names = cluster_names or {}
        self.client = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        self.out = out
        self.tty = out.isatty()
        self._drawn = 0
        self._last: list[str] = []

    def rows(self) -> dict[str, Row]:
        reply = self.client.get("/api/v1/applications", params={"limit": 1000})
        reply.raise_for_status()
        return {r.name: r for r in (row_of(a, self.cluster_names) for a in reply.json()["items"])}

    def show(self, rows: dict[str, Row], note: str = "") -> None:
        lines = render(sorted(rows.values(), key=lambda r: r.name)) + ([note] if note else [])
        if self.tty:
            if self._drawn:
                self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self.out.write("\n".join(lines) + "\n")
            self._drawn = len(lines)
        elif lines[:-1] != self._last[:-1] or not self._last:
            self.out.write("\n".join(lines) + "\n\n")
        self._last = lines
        self.out.flush()

    def freeze(self) -> None:
        """Keep what is on screen; the next table starts below it."""
        self._drawn = 0
        self._last = []

    def until(self, done: Callable[[dict[str, Row]], bool], what: str, timeout: float) -> dict[str, Row]:
        start = time.monotonic()
        while True:
            try:
                rows = self.rows()
            except httpx.HTTPError as exc:
                rows, error = {}, f" (API: {type(exc).__name__})"
            else:
                error = ""
            elapsed = time.monotonic() - start
            self.show(rows, f"[{elapsed:5.1f}s] waiting until {what}{error}")
            if rows and done(rows):
                return rows
            if elapsed > timeout:
                lagging = ", ".join(f"{r.name} {r.sync}/{r.health}" for r in rows.values() if not r.converged)
                raise DemoError(f"not every app converged after {timeout:g}s: {what}",
                                target=lagging or "no apps listed", hint="see the worker logs")  # fmt: skip
            time.sleep(1.0)

    def close(self) -> None:
        self.client.close()
