"""Dependency gating between Applications: readiness, waiting messages, cycles."""

from __future__ import annotations

from typing import Any

from gitops.dependencies import DEPENDS_ON_ANNOTATION, dependencies_of, dependency_gate, find_cycle


def app(
    name: str, depends: str = "", sync: str = "Synced", health: str = "Healthy", **extra: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if depends:
        meta["annotations"] = {DEPENDS_ON_ANNOTATION: depends}
    status = {"sync": {"status": sync, "revision": "a" * 40}, "health": {"status": health}}
    return {"metadata": meta, "status": status, **extra}


def apps(*items: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["metadata"]["name"]: i for i in items}


def test_annotation_parsing() -> None:
    assert dependencies_of(app("a", " db, cache ,,db")) == ["db", "cache"]
    assert dependencies_of(app("a")) == []


def test_chain_waits_until_each_dependency_is_synced_and_healthy() -> None:
    state = apps(app("db", sync="OutOfSync"), app("api", "db"), app("web", "api,db"))
    assert dependency_gate("db", state).ready
    gate = dependency_gate("api", state)
    assert (
        not gate.ready and gate.message == "waiting for dependencies to be Synced and Healthy: db (OutOfSync)"
    )
    state["db"] = app("db", health="Progressing")
    assert dependency_gate("api", state).waiting_for == ["db"]
    state["db"] = app("db")
    assert dependency_gate("api", state).ready
    state["api"] = app("api", "db", operation={"sync": {}})
    assert "api (is syncing)" in dependency_gate("web", state).message


def test_missing_dependency_and_unknown_status() -> None:
    assert "ghost (does not exist)" in dependency_gate("a", apps(app("a", "ghost"))).message
    pending = {"metadata": {"name": "b"}}
    assert "b (not yet compared)" in dependency_gate("a", apps(app("a", "b"), pending)).message


def test_cycles_are_named() -> None:
    state = apps(app("a", "b"), app("b", "c"), app("c", "a"))
    gate = dependency_gate("a", state)
    assert not gate.ready and gate.cycle == ["a", "b", "c", "a"]
    assert "dependency cycle a -> b -> c -> a" in gate.message
    assert dependency_gate("x", apps(app("x", "x"))).cycle == ["x", "x"]
    upstream = apps(app("top", "b"), app("b", "c"), app("c", "b"))
    assert dependency_gate("top", upstream).cycle == ["b", "c", "b"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}, "a") is None
