"""Helm charts with the real `helm template`: defaults, value precedence, overrides, hooks, confinement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from render_support import by_name, render, snapshot_of, tree_state

from gitops.errors import RenderError, UnsafeSourceError

PATH = "chart"


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return snapshot_of("helm-chart-valid", tmp_path)


def config(output: Any, release: str = "demo") -> dict[str, str]:
    return by_name(output)[f"ConfigMap/{release}-config"]["data"]


def test_defaults_release_is_app_name_namespace_is_destination(chart: Path, tmp_path: Path) -> None:
    before = tree_state(chart)
    output = render(chart, tmp_path, app="shop", path=PATH)
    assert output.source_type == "Helm"
    objects = by_name(output)
    assert objects["ConfigMap/shop-config"]["metadata"]["namespace"] == "dest-ns"
    assert objects["Deployment/shop"]["spec"]["replicas"] == 1
    assert config(output, "shop")["color"] == "blue"  # chart values.yaml
    assert "CustomResourceDefinition/widgets.example.com" in objects  # --include-crds by default
    assert tree_state(chart) == before


def test_value_precedence_parameters_over_values_over_value_files(chart: Path, tmp_path: Path) -> None:
    output = render(
        chart,
        tmp_path,
        path=PATH,
        helm={
            "valueFiles": ["../shared/values-prod.yaml", "values-dev.yaml"],
            "values": "message: from-values\nreplicas: 4\n",
            "parameters": [{"name": "replicas", "value": "7"}],
        },
    )
    data = config(output)
    assert data["color"] == "red"  # values-dev.yaml (later file) over values-prod.yaml
    assert data["message"] == "from-values"  # values over value files
    assert by_name(output)["Deployment/demo"]["spec"]["replicas"] == 7  # parameters over values
    assert output.inputs == {"shared/values-prod.yaml", "chart/values-dev.yaml"}


def test_values_object_takes_precedence_over_values(chart: Path, tmp_path: Path) -> None:
    output = render(
        chart,
        tmp_path,
        path=PATH,
        helm={
            "values": "message: from-values\ncolor: yellow\n",
            "valuesObject": {"message": "from-values-object"},
            "parameters": [{"name": "message", "value": "from-parameter"}],
        },
    )
    data = config(output)
    assert data["message"] == "from-parameter"
    # As in Argo CD, valuesObject replaces the values string entirely.
    assert data["color"] == "blue"
    assert (
        config(
            render(
                chart, tmp_path, path=PATH, helm={"values": "message: a", "valuesObject": {"message": "b"}}
            )
        )["message"]
        == "b"
    )


def test_force_string_file_parameters_and_build_variables(chart: Path, tmp_path: Path) -> None:
    output = render(
        chart,
        tmp_path,
        app="shop",
        path=PATH,
        helm={
            "parameters": [
                {"name": "port", "value": "8080", "forceString": True},
                {"name": "message", "value": "$ARGOCD_APP_NAME@${ARGOCD_APP_REVISION_SHORT}"},
            ],
            "fileParameters": [{"name": "banner", "path": "files/banner.txt"}],
        },
    )
    data = config(output, "shop")
    assert (data["port"], data["portType"]) == ("8080", "string")
    assert data["message"] == "shop@0123456"
    assert data["banner"] == "file-parameter-content"
    assert (
        config(render(chart, tmp_path, path=PATH, helm={"parameters": [{"name": "port", "value": "8080"}]}))[
            "portType"
        ]
        == "int64"
    )


def test_release_name_namespace_skip_crds_and_capabilities(chart: Path, tmp_path: Path) -> None:
    output = render(
        chart,
        tmp_path,
        path=PATH,
        kube="1.33.1",
        apis=("monitoring.coreos.com/v1",),
        helm={"releaseName": "rel", "namespace": "other", "skipCrds": True},
    )
    objects = by_name(output)
    assert objects["ConfigMap/rel-config"]["metadata"]["namespace"] == "other"
    assert "CustomResourceDefinition/widgets.example.com" not in objects
    assert config(output, "rel")["kubeVersion"] == "v1.33.1"
    assert config(output, "rel")["hasMonitoring"] == "true"
    forced = render(
        chart, tmp_path, path=PATH, kube="1.33.1", helm={"kubeVersion": "1.31.0", "apiVersions": []}
    )
    assert config(forced)["kubeVersion"] == "v1.31.0" and config(forced)["hasMonitoring"] == "false"


def test_helm_hooks_become_sync_hooks(chart: Path, tmp_path: Path) -> None:
    objects = by_name(render(chart, tmp_path, path=PATH))
    migrate = objects["Job/demo-migrate-"]["metadata"]["annotations"]
    assert migrate["argocd.argoproj.io/hook"] == "PreSync"
    assert migrate["argocd.argoproj.io/hook-delete-policy"] == "HookSucceeded,BeforeHookCreation"
    assert migrate["argocd.argoproj.io/sync-wave"] == "-2"
    assert objects["Pod/demo-smoke"]["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    assert objects["Pod/demo-test"]["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Skip"
    assert "argocd.argoproj.io/hook" not in (objects["Deployment/demo"]["metadata"].get("annotations") or {})


def test_ref_value_file_from_another_snapshot(chart: Path, tmp_path: Path) -> None:
    values_repo = tmp_path / "values-repo"
    (values_repo / "envs").mkdir(parents=True)
    (values_repo / "envs" / "prod.yaml").write_text("message: from-ref-source\n")
    output = render(
        chart,
        tmp_path,
        path=PATH,
        ref_roots={"values": values_repo},
        helm={"valueFiles": ["$values/envs/prod.yaml"]},
    )
    assert config(output)["message"] == "from-ref-source"
    (tmp_path / "secret.yaml").write_text("message: stolen\n")
    with pytest.raises(
        UnsafeSourceError, match=r"valueFiles\[0\] '\.\./secret\.yaml' resolves outside the repository"
    ):
        render(
            chart,
            tmp_path,
            path=PATH,
            ref_roots={"values": values_repo},
            helm={"valueFiles": ["$values/../secret.yaml"]},
        )


@pytest.mark.parametrize(
    ("value_file", "message"),
    [
        ("../../../../etc/hostname", "resolves outside the repository"),
        ("/etc/hostname", "is absolute"),
        ("https://example.com/values.yaml", "is a URL"),
    ],
)
def test_value_files_outside_the_repository_are_refused(
    chart: Path, tmp_path: Path, value_file: str, message: str
) -> None:
    with pytest.raises(UnsafeSourceError) as info:
        render(chart, tmp_path, path=PATH, helm={"valueFiles": [value_file]})
    assert (
        "app 'demo'" in str(info.value)
        and "helm.valueFiles[0]" in str(info.value)
        and message in str(info.value)
    )


def test_file_parameter_outside_the_repository_is_refused(chart: Path, tmp_path: Path) -> None:
    with pytest.raises(UnsafeSourceError, match=r"fileParameters\[0\]\.path"):
        render(
            chart,
            tmp_path,
            path=PATH,
            helm={"fileParameters": [{"name": "x", "path": "../../../../etc/hostname"}]},
        )


def test_missing_value_file_fails_unless_ignored(chart: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"valueFiles\[0\] 'nope.yaml' not found"):
        render(chart, tmp_path, path=PATH, helm={"valueFiles": ["nope.yaml"]})
    output = render(
        chart, tmp_path, path=PATH, helm={"valueFiles": ["nope.yaml"], "ignoreMissingValueFiles": True}
    )
    assert config(output)["color"] == "blue"


def test_template_failure_reports_helm_error_without_host_paths(tmp_path: Path) -> None:
    root = snapshot_of("helm-template-failure-rejected", tmp_path)
    with pytest.raises(RenderError) as info:
        render(root, tmp_path, path="chart")
    text = str(info.value)
    assert "app 'demo'" in text and "helm template chart" in text and "value image.tag is required" in text
    assert str(tmp_path) not in text


def test_local_file_dependency_is_built_in_scratch_space(tmp_path: Path) -> None:
    root = snapshot_of("helm-local-dependency-valid", tmp_path)
    before = tree_state(root)
    output = render(
        root, tmp_path, path="umbrella", helm={"parameters": [{"name": "common.greeting", "value": "hi"}]}
    )
    objects = by_name(output)
    assert objects["ConfigMap/demo-common"]["data"] == {"greeting": "hi"}
    assert "ConfigMap/demo-umbrella" in objects and output.inputs == {"common"}
    assert tree_state(root) == before


def test_dependency_on_a_chart_repository_must_be_vendored(tmp_path: Path) -> None:
    with pytest.raises(
        RenderError, match=r"chart/Chart.yaml: chart dependency 'redis' .* is not vendored in charts/"
    ):
        render(snapshot_of("helm-remote-dependency-rejected", tmp_path), tmp_path, path="chart")


def test_local_dependency_outside_the_repository_is_refused(tmp_path: Path) -> None:
    root = snapshot_of("helm-dependency-outside-repo-rejected", tmp_path)
    (root.parent / "outside-chart").mkdir()
    (root.parent / "outside-chart" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: outside\nversion: 0.1.0\n"
    )
    with pytest.raises(UnsafeSourceError, match=r"dependency 'outside' '.*' resolves outside the repository"):
        render(root, tmp_path, path="chart")


def test_commas_in_parameter_values_are_literal(chart: Path, tmp_path: Path) -> None:
    output = render(chart, tmp_path, path=PATH, helm={"parameters": [{"name": "message", "value": "a,b=c"}]})
    assert config(output)["message"] == "a,b=c"
