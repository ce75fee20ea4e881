"""Argo CD's Application resource on kubesim for tests: its CRD from deploy/crds/application-crd.yaml with or
without the status subresource (Argo CD's own CRD has none, Bosun's has it), an Application body, and the
Status body of a failed call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer

CRD_FILE = Path(__file__).resolve().parents[2] / "deploy" / "crds" / "application-crd.yaml"
G, V, NS, PLURAL = "argoproj.io", "v1alpha1", "default", "applications"
JSON_PATCH = "application/json-patch+json"
STALE = (
    'Operation cannot be fulfilled on applications.argoproj.io "guestbook": the object has been modified; '
    "please apply your changes to the latest version and try again"
)


def application_crd(status_subresource: bool) -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())
    for version in crd["spec"]["versions"]:
        if not status_subresource:
            version.pop("subresources", None)  # Argo CD's own CRD
        else:
            assert version["subresources"] == {"status": {}}
    return crd


def application(**extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "Application",
        "metadata": {"name": "guestbook"},
        "spec": {"project": "default", "destination": {"namespace": "web"},
                 "source": {"repoURL": "https://git.example.com/apps.git", "path": "guestbook"}},
        **extra,
    }  # fmt: skip


def serve(server: KubesimServer, status_subresource: bool) -> Any:
    client.ApiextensionsV1Api(server.api_client()).create_custom_resource_definition(
        application_crd(status_subresource)
    )
    return client.CustomObjectsApi(server.api_client())


def status_of(caught: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    return dict(json.loads(str(caught.value.body)))
