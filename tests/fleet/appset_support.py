"""Helpers of the ApplicationSet tests: a management kubesim with Bosun's CRDs plus destination
kubesims registered as cluster Secrets, the F1 fleet driver for syncs, and the set controller."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from controlplane.kube import CRDS, kubectl
from kubernetes import client

from gitops.appsets.controller import ApplicationSetController
from gitops.appsets.gitgen import RepoTrees
from gitops.appsets.store import AppSetStore
from gitops.clusters import cluster_secret
from gitops.errors import SpecError

from .app_of_apps_support import TreeDriver

NAMESPACE = "bosun"
Obj = dict[str, Any]


def install_crds(kubeconfig: Path, namespace: str) -> None:
    """Apply Bosun's CRD files (each `*-crd.yaml`), wait until Established, create the namespace."""
    for crd_file in sorted(CRDS.glob("*-crd.yaml")):
        kubectl(kubeconfig, "apply", "-f", str(crd_file))
    deadline = time.monotonic() + 30
    for crd in ("applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"):
        jsonpath = '{.status.conditions[?(@.type=="Established")].status}'
        while kubectl(kubeconfig, "get", "crd", crd, "-o", f"jsonpath={jsonpath}").stdout != "True":
            assert time.monotonic() < deadline, f"CRD {crd} not Established"
            time.sleep(0.05)
    kubectl(kubeconfig, "create", "namespace", namespace)


class NoTrees:
    def tree(self, repo_url: str, revision: str) -> Path:
        raise SpecError("this test has no repositories", target=repo_url)


class Fleet:
    def __init__(self, start: Callable[..., Any], trees: RepoTrees | None = None) -> None:
        self.mgmt = start()
        install_crds(self.mgmt.kubeconfig, NAMESPACE)
        self.driver = TreeDriver(self.mgmt, NAMESPACE)
        self.start = start
        self.clusters: dict[str, Any] = {}
        self.api = client.CustomObjectsApi(self.mgmt.api_client())
        self.core = client.CoreV1Api(self.mgmt.api_client())
        self.controller = ApplicationSetController(
            AppSetStore(self.mgmt.api_client(), NAMESPACE), trees or NoTrees()
        )

    def add_cluster(self, name: str, **labels: str) -> Any:
        server = self.start()
        self.clusters[name] = server
        config = {"bearerToken": server.token} if server.token else {}
        self.driver.store.create(cluster_secret(name, server.url, config, namespace=NAMESPACE, labels=labels))
        return server

    def create_appset(self, doc: Obj) -> Obj:
        body = copy.deepcopy(doc)
        body.setdefault("apiVersion", "argoproj.io/v1alpha1")
        body.setdefault("kind", "ApplicationSet")
        return cast(
            Obj,
            self.api.create_namespaced_custom_object(
                "argoproj.io", "v1alpha1", NAMESPACE, "applicationsets", body
            ),
        )

    def patch_appset(self, name: str, patch: Obj) -> None:
        self.api.patch_namespaced_custom_object(
            "argoproj.io", "v1alpha1", NAMESPACE, "applicationsets", name, patch
        )

    def appset(self, name: str) -> Obj:
        return cast(
            Obj,
            self.api.get_namespaced_custom_object(
                "argoproj.io", "v1alpha1", NAMESPACE, "applicationsets", name
            ),
        )

    def apps(self) -> dict[str, Obj]:
        return {a["metadata"]["name"]: a for a in self.driver.registry.applications()}

    def configmap(self, cluster: str, namespace: str, name: str) -> Obj | None:
        api = client.CoreV1Api(self.clusters[cluster].api_client())
        try:
            result: Obj = api.read_namespaced_config_map(name, namespace).to_dict()
            return result
        except client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise


def template(name: str, destination: Obj, namespace: str, path: str = "guestbook", **spec: Any) -> Obj:
    """An Application template whose manifests come from the fleet fixture `configmap-one.yaml`."""
    return {
        "metadata": {"name": name, "annotations": {"fleet-test/manifests": "configmap-one.yaml"}},
        "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/team/apps", "path": path},
                 "destination": {**destination, "namespace": namespace},
                 "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}, **spec},
    }  # fmt: skip
