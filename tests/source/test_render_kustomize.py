"""Kustomize with the real `kubectl kustomize`: plain builds, Argo CD overrides, tool detection, confinement."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from render_support import by_name, render, snapshot_of, tree_state

from gitops.errors import RenderError, UnsafeSourceError
from gitops.source.render.dispatch import detect_tool
from gitops.source.render.kustomize import parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return snapshot_of("kustomize-overlay-valid", tmp_path)


def containers(objects: dict[str, Any], name: str) -> dict[str, str]:
    spec = objects[name]["spec"]["template"]["spec"]
    return {c["name"]: c["image"] for c in spec["containers"]}


def test_overlay_builds_as_committed(repo: Path, tmp_path: Path) -> None:
    output = render(repo, tmp_path, path="overlays/prod")
    assert output.source_type == "Kustomize"
    objects = by_name(output)
    assert objects["Deployment/prod-web"]["spec"]["replicas"] == 2
    assert containers(objects, "Deployment/prod-web") == {"web": "nginx:1.26", "sidecar": "busybox:1.36"}
    assert {"base", "base/deployment.yaml", "base/settings.properties", "overlays/prod"} <= output.inputs


def test_argo_cd_overrides_are_applied_without_touching_the_snapshot(repo: Path, tmp_path: Path) -> None:
    before = tree_state(repo)
    output = render(
        repo,
        tmp_path,
        app="shop",
        path="overlays/prod",
        kustomize={
            "namePrefix": "argo-",
            "nameSuffix": "-v2",
            "images": ["nginx=registry.local/nginx:2.0", f"busybox@{DIGEST}"],
            "replicas": [{"name": "web", "count": 5}],
            "commonLabels": {"team": "$ARGOCD_APP_NAME"},
            "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION_SHORT", "literal": "$ARGOCD_APP_NAME"},
            "namespace": "shop-ns",
            "patches": [
                {"path": "extra-patch.yaml"},
                {
                    "patch": '[{"op": "add", "path": "/metadata/annotations/inline", "value": "yes"}]',
                    "target": {"kind": "Service"},
                },
            ],
            "components": ["../../components/monitoring"],
        },
    )
    objects = by_name(output)
    deployment = objects["Deployment/argo-web-v2"]
    assert deployment["metadata"]["namespace"] == "shop-ns"
    assert deployment["spec"]["replicas"] == 5
    assert containers(objects, "Deployment/argo-web-v2") == {
        "web": "registry.local/nginx:2.0",
        "sidecar": f"busybox@{DIGEST}",
    }
    assert (
        deployment["metadata"]["labels"]["team"] == "shop"
        and deployment["metadata"]["labels"]["env"] == "prod"
    )
    # commonAnnotations are substituted only with commonAnnotationsEnvsubst
    assert deployment["metadata"]["annotations"] == {
        "rev": "$ARGOCD_APP_REVISION_SHORT",
        "literal": "$ARGOCD_APP_NAME",
    }
    service = objects["Service/argo-web-v2"]
    assert service["spec"]["type"] == "NodePort" and service["metadata"]["annotations"]["inline"] == "yes"
    assert "ConfigMap/argo-monitoring-v2" in objects
    assert tree_state(repo) == before


def test_common_annotations_envsubst(repo: Path, tmp_path: Path) -> None:
    output = render(
        repo,
        tmp_path,
        path="overlays/prod",
        kustomize={
            "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION_SHORT"},
            "commonAnnotationsEnvsubst": True,
        },
    )
    assert by_name(output)["Deployment/prod-web"]["metadata"]["annotations"] == {"rev": "0123456"}


def test_existing_label_needs_force(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="label env already in kustomization file"):
        render(repo, tmp_path, path="overlays/prod", kustomize={"commonLabels": {"env": "staging"}})
    output = render(
        repo,
        tmp_path,
        path="overlays/prod",
        kustomize={"commonLabels": {"env": "staging"}, "forceCommonLabels": True},
    )
    assert by_name(output)["Deployment/prod-web"]["metadata"]["labels"]["env"] == "staging"


def test_missing_component_fails_unless_ignored(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"components\[0\] 'nope' not found"):
        render(repo, tmp_path, path="overlays/prod", kustomize={"components": ["nope"]})
    output = render(
        repo,
        tmp_path,
        path="overlays/prod",
        kustomize={"components": ["nope"], "ignoreMissingComponents": True},
    )
    assert "Deployment/prod-web" in by_name(output)


@pytest.mark.parametrize(
    ("argument", "entry"),
    [
        ("nginx:1.2", {"name": "nginx", "newTag": "1.2"}),
        ("nginx=reg:5000/nginx:1.2", {"name": "nginx", "newName": "reg:5000/nginx", "newTag": "1.2"}),
        ("nginx=reg/nginx", {"name": "nginx", "newName": "reg/nginx"}),
        (f"nginx@{DIGEST}", {"name": "nginx", "digest": DIGEST}),
        (f"nginx=reg/nginx@{DIGEST}", {"name": "nginx", "newName": "reg/nginx", "digest": DIGEST}),
    ],
)
def test_image_override_syntax(argument: str, entry: dict[str, str]) -> None:
    assert parse_image(argument) == entry


def test_tool_detection_and_forcing(tmp_path: Path) -> None:
    both = tmp_path / "both"
    both.mkdir()
    (both / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (both / "kustomization.yaml").write_text("resources: []\n")
    assert detect_tool(both) == "Kustomize"  # as Argo CD's discovery: kustomization wins
    os.remove(both / "kustomization.yaml")
    (both / "Kustomization").write_text("resources: []\n")
    assert detect_tool(both) == "Kustomize"
    os.remove(both / "Kustomization")
    assert detect_tool(both) == "Helm"
    os.rename(both / "Chart.yaml", both / "OtherChart.yaml")
    assert detect_tool(both) == "Helm"  # Argo CD matches any file name ending in Chart.yaml
    os.remove(both / "OtherChart.yaml")
    assert detect_tool(both) == "Directory"


def test_directory_block_forces_plain_reading(repo: Path, tmp_path: Path) -> None:
    output = render(repo, tmp_path, path="base", directory={"exclude": "kustomization.yaml"})
    assert output.source_type == "Directory"
    assert sorted(by_name(output)) == ["Deployment/web", "Service/web"]


@pytest.mark.parametrize(
    ("fixture", "error", "message"),
    [
        (
            "kustomize-outside-repo-rejected",
            UnsafeSourceError,
            "app/kustomization.yaml: references '../../outside-base', which resolves outside the repository",
        ),
        (
            "kustomize-absolute-path-rejected",
            UnsafeSourceError,
            "app/kustomization.yaml: references absolute path '/etc/kubernetes'",
        ),
        (
            "kustomize-remote-base-rejected",
            UnsafeSourceError,
            "references remote base 'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0' but network access is disabled",
        ),
        ("kustomize-file-outside-root-rejected", RenderError, "is not in or below 'app'"),
        ("kustomize-build-failure-rejected", RenderError, "kustomize build app: kubectl failed"),
    ],
)
def test_kustomizations_reaching_out_are_refused(
    tmp_path: Path, fixture: str, error: type[Exception], message: str
) -> None:
    root = snapshot_of(fixture, tmp_path)
    (root.parent / "outside-base").mkdir()
    (root.parent / "outside-base" / "kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(error) as info:
        render(root, tmp_path, path="app")
    assert "app 'demo'" in str(info.value) and message in str(info.value)
    assert str(tmp_path) not in str(info.value)
