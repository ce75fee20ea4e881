"""Health plugins: a real (test) distribution on sys.path declares `bosun.health` entry points."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops.health import Health, HealthStatus, assess, reload_plugins

PLUGIN_MODULE = """
from gitops.health import Health, HealthStatus


def widget(obj):
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Broken":
        return Health(HealthStatus.DEGRADED, "widget is broken")
    if phase is None:
        return None  # no opinion: fall back to the built-in rules
    return Health(HealthStatus.HEALTHY, f"widget is {phase}")


def any_example(obj):
    return Health(HealthStatus.SUSPENDED, "every example.org kind is suspended")


def deployment(obj):
    return Health(HealthStatus.HEALTHY, "deployments judged by the plugin")


def raises(obj):
    raise RuntimeError("plugin bug")


NOT_CALLABLE = 42
"""


def install_distribution(root: Path, entry_points: dict[str, str]) -> None:
    (root / "bosun_test_health_plugin.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    dist = root / "bosun_test_health_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bosun-test-health-plugin\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (dist / "entry_points.txt").write_text(f"[bosun.health]\n{lines}\n")


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    reload_plugins()
    yield tmp_path
    monkeypatch.undo()
    reload_plugins()


def widget(phase: str | None) -> dict[str, object]:
    obj: dict[str, object] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def test_without_plugin_a_custom_kind_has_no_health() -> None:
    reload_plugins()
    assert assess(widget("Broken")) is None


def test_plugin_registered_by_group_and_kind_decides(plugin_dir: Path) -> None:
    install_distribution(plugin_dir, {"example.com/Widget": "bosun_test_health_plugin:widget"})
    reload_plugins()
    assert assess(widget("Broken")) == Health(HealthStatus.DEGRADED, "widget is broken")
    assert assess(widget("Running")) == Health(HealthStatus.HEALTHY, "widget is Running")
    assert assess(widget(None)) is None  # plugin abstains, no built-in rule


def test_plugin_overrides_builtin_and_deletion_still_wins(plugin_dir: Path) -> None:
    install_distribution(plugin_dir, {"apps/Deployment": "bosun_test_health_plugin:deployment"})
    reload_plugins()
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 3},
        "status": {},
    }
    assert assess(deployment) == Health(HealthStatus.HEALTHY, "deployments judged by the plugin")
    deployment["metadata"] = {"name": "d", "deletionTimestamp": "2026-01-01T00:00:00Z"}
    assert assess(deployment) == Health(HealthStatus.PROGRESSING, "Pending deletion")


def test_wildcard_plugin_and_exact_key_precedence(plugin_dir: Path) -> None:
    install_distribution(
        plugin_dir,
        {
            "example.org/*": "bosun_test_health_plugin:any_example",
            "example.org/Gadget": "bosun_test_health_plugin:widget",
        },
    )
    reload_plugins()
    thing = {"apiVersion": "example.org/v1", "kind": "Thing", "metadata": {"name": "t"}}
    assert assess(thing) == Health(HealthStatus.SUSPENDED, "every example.org kind is suspended")
    gadget = {
        "apiVersion": "example.org/v1",
        "kind": "Gadget",
        "metadata": {"name": "g"},
        "status": {"phase": "Up"},
    }
    assert assess(gadget) == Health(HealthStatus.HEALTHY, "widget is Up")


def test_core_group_key_and_broken_plugins(plugin_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    install_distribution(
        plugin_dir,
        {
            "/ConfigMap": "bosun_test_health_plugin:raises",
            "example.com/Widget": "bosun_test_health_plugin:NOT_CALLABLE",
            "example.com/Gizmo": "bosun_test_health_plugin_missing:rule",
        },
    )
    reload_plugins()
    health = assess({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    assert health is not None and health.status == HealthStatus.UNKNOWN and "plugin bug" in health.message
    assert assess(widget("Broken")) is None  # the non-callable plugin was ignored
    assert "not callable" in caplog.text and "failed to load" in caplog.text


def test_statusless_kinds_never_have_health_unless_a_plugin_claims_them(plugin_dir: Path) -> None:
    from gitops.health.registry import never_has_health

    assert never_has_health("", "ConfigMap") and never_has_health("rbac.authorization.k8s.io", "Role")
    assert not never_has_health("apps", "Deployment") and not never_has_health("example.com", "Widget")
    install_distribution(plugin_dir, {"ConfigMap": "bosun_test_health_plugin:deployment"})
    reload_plugins()
    assert not never_has_health("", "ConfigMap")  # a plugin may judge it: it is read back
