"""Dependencies between Applications (Bosun's own; Argo CD has none).

An Application lists the apps it needs in the annotation `bosun.dev/depends-on: "db,cache"` (names
of Applications in the same management namespace, comma-separated, spaces ignored). It syncs, by
automation or by hand, only once every dependency is ready: sync status Synced, health Healthy, no
operation in progress, at the revision its last refresh resolved. Cycles (including an app naming
itself) are refused with an InvalidSpecError naming the cycle. Pure functions over the apps'
resources (metadata + status), so the worker asks `dependency_gate(name, apps)` before any sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops.model.operation import operation_in_progress

DEPENDS_ON_ANNOTATION = "bosun.dev/depends-on"
DEPENDENCY_CONDITION = "DependencyWaiting"  # Bosun's own condition type: what the app waits for

Obj = Mapping[str, Any]


def dependencies_of(app: Obj) -> list[str]:
    """The dependency names an Application declares, in order, without duplicates or blanks."""
    raw = str(((app.get("metadata") or {}).get("annotations") or {}).get(DEPENDS_ON_ANNOTATION) or "")
    names: list[str] = []
    for part in raw.split(","):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


def dependency_graph(apps: Mapping[str, Obj]) -> dict[str, list[str]]:
    return {name: dependencies_of(app) for name, app in apps.items()}


def find_cycle(graph: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """A cycle reachable from `start`, as a closed path (`[a, b, a]`), or None."""
    path: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in on_path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        on_path.add(node)
        for child in graph.get(node, ()):
            cycle = visit(child)
            if cycle:
                return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    return visit(start)


def readiness(app: Obj | None) -> str | None:
    """None when the dependency is ready, else why not (`OutOfSync`, `Progressing`, ...)."""
    if app is None:
        return "does not exist"
    status = app.get("status") or {}
    sync = status.get("sync") or {}
    health = (status.get("health") or {}).get("status") or "Unknown"
    if operation_in_progress(app):
        return "is syncing"
    if sync.get("status") != "Synced":
        return str(sync.get("status") or "not yet compared")
    if health != "Healthy":
        return str(health)
    if not sync.get("revision"):
        return "has no resolved revision"
    return None


@dataclass(frozen=True)
class DependencyGate:
    """`ready`: the app may sync now. `message`: what it waits for or why it can never sync.
    `cycle`: the closed path when the dependencies form a cycle (an InvalidSpecError)."""

    ready: bool
    message: str = ""
    waiting_for: list[str] = field(default_factory=list)
    cycle: list[str] | None = None


def dependency_gate(name: str, apps: Mapping[str, Obj]) -> DependencyGate:
    """Whether app `name` may sync, given every Application of the namespace by name."""
    app = apps.get(name)
    needs = dependencies_of(app) if app is not None else []
    if not needs:
        return DependencyGate(True)
    cycle = find_cycle(dependency_graph(apps), name)
    if cycle:
        return DependencyGate(
            False,
            f"dependency cycle {' -> '.join(cycle)} (annotation {DEPENDS_ON_ANNOTATION}): "
            "remove one of these dependencies",
            cycle=cycle,
        )
    waiting = []
    for dependency in needs:
        reason = readiness(apps.get(dependency))
        if reason:
            waiting.append(f"{dependency} ({reason})")
    if waiting:
        return DependencyGate(
            False,
            "waiting for dependencies to be Synced and Healthy: " + ", ".join(waiting),
            waiting_for=[w.split(" ", 1)[0] for w in waiting],
        )
    return DependencyGate(True, "dependencies ready: " + ", ".join(needs))
