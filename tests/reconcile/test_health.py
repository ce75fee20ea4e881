"""Built-in health rules: each fixture in fixtures/health is named by the health it must get
(`<kind>-<case>-<expected>.yaml`, expected one of healthy, progressing, degraded, suspended, none)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from gitops.health import Health, HealthInput, HealthStatus, app_health, assess, worst

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "health").glob("*.yaml"))
EXPECTED = {
    "healthy": HealthStatus.HEALTHY,
    "progressing": HealthStatus.PROGRESSING,
    "degraded": HealthStatus.DEGRADED,
    "suspended": HealthStatus.SUSPENDED,
    "none": None,
}


def test_every_builtin_kind_has_fixtures() -> None:
    kinds = {yaml.safe_load(path.read_text())["kind"] for path in FIXTURES}
    assert {
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Service", "Ingress", "PersistentVolumeClaim",
        "Pod", "Job", "CronJob", "HorizontalPodAutoscaler", "APIService", "CustomResourceDefinition", "Application",
    } <= kinds  # fmt: skip


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_gets_the_health_its_name_says(path: Path) -> None:
    expected = EXPECTED[path.stem.rsplit("-", 1)[1]]
    health = assess(yaml.safe_load(path.read_text()))
    if expected is None:
        assert health is None
    else:
        assert health is not None and health.status == expected, health


def test_messages_explain_why() -> None:
    degraded = assess(yaml.safe_load((FIXTURES[0].parent / "deployment-degraded.yaml").read_text()))
    assert degraded == Health(HealthStatus.DEGRADED, 'Deployment "web" exceeded its progress deadline')
    crash = assess(yaml.safe_load((FIXTURES[0].parent / "pod-crashloop-degraded.yaml").read_text()))
    assert crash is not None and "CrashLoopBackOff" in crash.message and "app" in crash.message


def test_child_application_reports_its_own_health_and_message() -> None:
    child = assess(yaml.safe_load((FIXTURES[0].parent / "application-child-degraded.yaml").read_text()))
    assert child == Health(HealthStatus.DEGRADED, "Deployment/web: exceeded its progress deadline")


def test_severity_order() -> None:
    order = [
        HealthStatus.HEALTHY,
        HealthStatus.SUSPENDED,
        HealthStatus.PROGRESSING,
        HealthStatus.MISSING,
        HealthStatus.DEGRADED,
        HealthStatus.UNKNOWN,
    ]
    for lower, higher in itertools.pairwise(order):
        assert worst([Health(higher), Health(lower)]) == Health(higher)
        assert worst([Health(lower), Health(higher)]) == Health(higher)
    assert worst([]) is None


def test_app_health_is_worst_counted_resource() -> None:
    resources = [
        HealthInput(Health(HealthStatus.HEALTHY), name="Service/web"),
        HealthInput(Health(HealthStatus.SUSPENDED, "paused"), name="Deployment/a"),
        HealthInput(Health(HealthStatus.PROGRESSING, "rolling"), name="Deployment/b"),
        HealthInput(None, name="ConfigMap/c"),
    ]
    assert app_health(resources) == Health(HealthStatus.PROGRESSING, "Deployment/b: rolling")


def test_app_health_skips_hooks_and_ignored_resources() -> None:
    resources = [
        HealthInput(Health(HealthStatus.HEALTHY), name="Service/web"),
        HealthInput(Health(HealthStatus.DEGRADED, "failed"), hook=True, name="Job/migrate"),
        HealthInput(Health(HealthStatus.DEGRADED, "noisy"), ignore_healthcheck=True, name="Deployment/x"),
    ]
    assert app_health(resources) == Health(HealthStatus.HEALTHY)
    assert app_health([]) == Health(HealthStatus.HEALTHY)


def test_unknown_beats_degraded_and_missing_beats_progressing() -> None:
    resources = [
        HealthInput(Health(HealthStatus.MISSING, "missing"), name="ConfigMap/a"),
        HealthInput(Health(HealthStatus.PROGRESSING), name="Deployment/b"),
    ]
    assert app_health(resources).status == HealthStatus.MISSING
    resources.append(HealthInput(Health(HealthStatus.DEGRADED), name="Pod/p"))
    assert app_health(resources).status == HealthStatus.DEGRADED
    resources.append(HealthInput(Health(HealthStatus.UNKNOWN), name="Pod/q"))
    assert app_health(resources).status == HealthStatus.UNKNOWN


def test_missing_counts_only_for_kinds_with_a_health_rule() -> None:
    missing = Health(HealthStatus.MISSING, "missing from the cluster")
    assert app_health([HealthInput(missing, name="ConfigMap/a", kind="ConfigMap")]) == Health(
        HealthStatus.HEALTHY
    )
    assert (
        app_health([HealthInput(missing, name="Deployment/web", group="apps", kind="Deployment")]).status
        == HealthStatus.MISSING
    )


def test_child_application_missing_or_unknown_does_not_affect_the_parent() -> None:
    for status in (HealthStatus.MISSING, HealthStatus.UNKNOWN):
        child = HealthInput(Health(status), name="Application/child", group="argoproj.io", kind="Application")
        assert app_health([child]) == Health(HealthStatus.HEALTHY)
    degraded = HealthInput(
        Health(HealthStatus.DEGRADED, "broken"),
        name="Application/child",
        group="argoproj.io",
        kind="Application",
    )
    assert app_health([degraded]) == Health(HealthStatus.DEGRADED, "Application/child: broken")


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "status": "not-a-map"},
        {"apiVersion": "v1", "kind": "Pod", "status": {"conditions": "nope", "containerStatuses": None}},
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "status": {"conditions": [None, "x", {"type": "Complete"}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {"replicas": "two"},
            "metadata": {"generation": "x"},
            "status": {"observedGeneration": None},
        },
        {"apiVersion": "example.com/v1", "kind": "Widget", "status": {"conditions": [{"type": "Ready"}]}},
    ],
    ids=[
        "deployment-bare",
        "status-not-a-map",
        "pod-odd-fields",
        "job-odd-conditions",
        "deployment-odd-numbers",
        "ready-without-status",
    ],
)
def test_half_written_objects_get_a_verdict_not_an_exception(obj: dict[str, object]) -> None:
    health = assess(obj)
    assert health is not None and health.status in {HealthStatus.PROGRESSING, HealthStatus.HEALTHY}
