"""The Application source model: every Argo CD field parsed, and bad specs refused with the field path."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.errors import SpecError
from gitops.source.spec import AppContext, parse_application


def app(spec_source: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
    }
    if spec_source is not None:
        body["source"] = spec_source
    body.update(spec)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "guestbook",
            "namespace": "argocd",
            "annotations": {"argocd.argoproj.io/manifest-generate-paths": ".;/shared ; ../common"},
        },
        "spec": body,
    }


def refused(application: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as info:
        parse_application(application)
    assert "guestbook" in str(info.value)
    return str(info.value)


def test_every_helm_field_is_read() -> None:
    view = parse_application(
        app(
            {
                "repoURL": "https://github.com/org/repo.git",
                "targetRevision": "v1.2.*",
                "path": "charts/web",
                "helm": {
                    "valueFiles": ["values-prod.yaml"],
                    "values": "a: 1",
                    "valuesObject": {"b": {"c": 2}},
                    "parameters": [{"name": "image.tag", "value": "2.0", "forceString": True}],
                    "fileParameters": [{"name": "cfg", "path": "files/cfg.txt"}],
                    "releaseName": "rel",
                    "namespace": "ns",
                    "skipCrds": True,
                    "ignoreMissingValueFiles": True,
                    "passCredentials": False,
                    "version": "v3",
                    "kubeVersion": "1.30.0",
                    "apiVersions": ["x/v1"],
                    "skipTests": True,
                    "skipSchemaValidation": True,
                },
            }
        )
    )
    source = view.sources[0]
    assert (view.name, view.namespace, view.destination_namespace, view.multi_source) == (
        "guestbook",
        "argocd",
        "web",
        False,
    )
    assert source.repo_url == "https://github.com/org/repo.git" and source.target_revision == "v1.2.*"
    assert source.helm is not None and source.helm.parameters[0].force_string is True
    assert (
        source.helm.values_object == {"b": {"c": 2}}
        and source.helm.file_parameters[0].path == "files/cfg.txt"
    )
    assert source.explicit_tool == "Helm"
    assert view.manifest_generate_paths == (".", "/shared", "../common")


def test_every_kustomize_and_directory_field_is_read() -> None:
    kustomize = parse_application(
        app(
            {
                "repoURL": "git@github.com:org/repo.git",
                "path": "overlays/prod",
                "kustomize": {
                    "namePrefix": "p-",
                    "nameSuffix": "-s",
                    "images": ["nginx=reg/nginx:2"],
                    "commonLabels": {"a": "b"},
                    "commonAnnotations": {"c": "d"},
                    "commonAnnotationsEnvsubst": True,
                    "forceCommonLabels": True,
                    "forceCommonAnnotations": True,
                    "labelWithoutSelector": True,
                    "namespace": "ns",
                    "replicas": [{"name": "web", "count": 3}, {"name": "api", "count": "$N"}],
                    "patches": [
                        {
                            "path": "p.yaml",
                            "target": {"kind": "Deployment", "labelSelector": "a=b"},
                            "options": {"allowNameChange": True},
                        }
                    ],
                    "components": ["../components/x"],
                    "ignoreMissingComponents": True,
                },
            }
        )
    ).sources[0]
    assert kustomize.kustomize is not None and [r.count for r in kustomize.kustomize.replicas] == [3, "$N"]
    assert (
        kustomize.kustomize.patches[0].target is not None
        and kustomize.kustomize.patches[0].target.label_selector == "a=b"
    )
    directory = parse_application(
        app(
            {
                "repoURL": "https://h/r",
                "path": "d",
                "directory": {
                    "recurse": True,
                    "include": "{a,b}.yaml",
                    "exclude": "x*",
                    "jsonnet": {
                        "extVars": [{"name": "e", "value": "1", "code": True}],
                        "tlas": [{"name": "t", "value": "v"}],
                        "libs": ["vendor"],
                    },
                },
            }
        )
    ).sources[0]
    assert directory.directory is not None and directory.directory.jsonnet.ext_vars[0].code is True
    assert directory.explicit_tool == "Directory"
    assert parse_application(app({"repoURL": "https://h/r"})).sources[0].explicit_tool is None


def test_multi_source_with_ref_value_files() -> None:
    view = parse_application(
        app(
            sources=[
                {
                    "repoURL": "https://h/charts",
                    "path": "web",
                    "helm": {"valueFiles": ["$values/envs/prod.yaml"]},
                },
                {"repoURL": "https://h/config", "targetRevision": "main", "ref": "values"},
            ],
            source={"repoURL": "https://ignored"},
        )
    )
    assert view.multi_source and len(view.sources) == 2
    assert view.sources[0].renders and not view.sources[1].renders


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"repoURL": "https://h/r", "helm": {"parameters": [{"value": "1"}]}},
            "spec.source.helm.parameters[0].name: field required",
        ),
        ({"repoURL": "https://h/r", "pathh": "x"}, "spec.source.pathh: unknown field"),
        (
            {"repoURL": "https://h/r", "directory": {"recurse": "yes"}},
            "spec.source.directory.recurse: input should be a valid boolean",
        ),
        (
            {"repoURL": "https://h/r", "helm": {"valueFiles": "v.yaml"}},
            "spec.source.helm.valueFiles: input should be a valid list",
        ),
        (
            {"repoURL": "https://h/r", "kustomize": {"images": [1]}},
            "spec.source.kustomize.images[0]: input should be a valid string",
        ),
        ({"path": "x"}, "spec.source.repoURL: field required"),
        ({"repoURL": " "}, "spec.source.repoURL: must not be empty"),
        ({"repoURL": "https://h/r", "helm": {}, "kustomize": {}}, "multiple application sources defined"),
        (
            {
                "repoURL": "https://h/r",
                "plugin": {
                    "name": "cmp",
                    "env": [{"name": "A", "value": "1"}],
                    "parameters": [{"name": "p", "string": "v"}],
                },
            },
            "spec.source.plugin: config management plugins are not supported",
        ),
        (
            {"repoURL": "https://charts.example", "chart": "nginx"},
            "spec.source.chart: Helm chart repositories are not supported",
        ),
        ({"repoURL": "https://h/r", "helm": {"valueFiles": ["$vals/x.yaml"]}}, "need spec.sources"),
        ({"repoURL": "https://h/r", "ref": "bad name"}, "spec.source.ref"),
        ("just a string", "spec.source: must be an object"),
        ({"repoURL": "file:///etc/repo"}, "spec.source.repoURL: repository URL scheme 'file' is not allowed"),
        (
            {"repoURL": "--upload-pack=touch /tmp/x"},
            "spec.source.repoURL: repository URL must not start with '-'",
        ),
        ({"repoURL": "https://user:hunter2@h"}, "has no host or no path"),
    ],
)
def test_bad_source_is_refused_with_its_field_path(source: Any, message: str) -> None:
    assert message in refused(app(source))


def test_bad_multi_source_refs_are_refused() -> None:
    assert "names no source with ref 'nope'" in refused(
        app(
            sources=[
                {"repoURL": "https://h/r", "path": "c", "helm": {"valueFiles": ["$nope/v.yaml"]}},
                {"repoURL": "https://h/v", "ref": "values"},
            ]
        )
    )
    assert "spec.sources[1].ref: duplicate ref 'v'" in refused(
        app(
            sources=[
                {"repoURL": "https://h/r", "ref": "v"},
                {"repoURL": "https://h/s", "ref": "v"},
            ]
        )
    )
    assert "spec.sources[1].helm.parameters[0].name: field required" in refused(
        app(
            sources=[
                {"repoURL": "https://h/r", "path": "a"},
                {"repoURL": "https://h/s", "path": "b", "helm": {"parameters": [{}]}},
            ]
        )
    )


def test_application_without_source_is_refused() -> None:
    assert "spec.source: field required" in refused(app())
    with pytest.raises(SpecError, match=r"metadata\.name: field required"):
        parse_application({"spec": {"source": {"repoURL": "https://h/r"}}})


def test_build_environment_matches_argo_cd() -> None:
    ctx = AppContext(
        "guestbook",
        "argocd",
        "web",
        "0123456789abcdef" * 2 + "01234567",
        "https://h/r.git",
        "apps/web",
        "main",
        "1.35.0",
        ("v1", "apps/v1"),
    )
    env = ctx.build_env()
    assert env["ARGOCD_APP_NAME"] == "guestbook" and env["ARGOCD_APP_NAMESPACE"] == "argocd"
    assert env["ARGOCD_APP_REVISION_SHORT"] == "0123456" and len(env["ARGOCD_APP_REVISION"]) == 40
    assert (
        env["ARGOCD_APP_SOURCE_PATH"] == "apps/web" and env["ARGOCD_APP_SOURCE_REPO_URL"] == "https://h/r.git"
    )
    assert env["ARGOCD_APP_SOURCE_TARGET_REVISION"] == "main"
    assert env["KUBE_VERSION"] == "1.35.0" and env["KUBE_API_VERSIONS"] == "v1,apps/v1"


def test_refused_repo_url_never_shows_its_credentials() -> None:
    text = refused(app({"repoURL": "https://user:hunter2@h"}))
    assert "spec.source.repoURL" in text and "hunter2" not in text
