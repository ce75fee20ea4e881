# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Bad Application specs: refused by the API server's schema (kubectl, as users apply them) or reported
by the worker as InvalidSpecError, with nothing applied and a good app unaffected."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from controlplane.kube import kubectl
from faults.stack import EngineStack, configmap, wait_for

pytestmark = pytest.mark.slow


def app_doc(name: str, spec: dict[str, Any]) -> str:
    return yaml.safe_dump({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                           "metadata": {"name": name, "namespace": "bosun"}, "spec": spec})  # fmt: skip


@pytest.mark.reliability(
    case="B1 Application spec: wrong types, unknown fields, missing destination, unknown project, unknown cluster",
    done="`kubectl apply` Applications with a string where an object belongs, syncPolicy.automated given as "
    "a string, an unknown spec field; an Application without destination; create Applications with project 'nope', with an "
    "unregistered destination server; a good app beside them; a real worker refreshes all",
    checked="kubectl is refused with the offending field named (nothing stored); the worker gives each stored "
    "bad app an InvalidSpecError naming the destination / project / cluster and applies nothing; the good "
    "app is Synced+Healthy",
)
def test_bad_application_specs(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("specs")
    repo.commit({"app/cm.yaml": configmap("spec-good", "v1")})
    url = git_server.url("specs")
    source = {"repoURL": url, "path": "app", "targetRevision": "HEAD"}
    dest = {"server": "https://kubernetes.default.svc", "namespace": "specs"}
    refused = {
        "wrong-type": ({"project": "default", "source": "not-an-object", "destination": dest}, "source"),
        "wrong-type-2": (
            {"project": "default", "source": source, "destination": dest, "syncPolicy": {"automated": "yes"}},
            "automated",
        ),
        "no-destination": ({"project": "default", "source": source}, "destination"),
        "unknown-field": ({"project": "default", "source": source, "destination": dest, "bogus": 1}, "bogus"),
    }
    for name, (spec, field) in refused.items():
        result = kubectl(stack.kubesim.kubeconfig, "apply", "-f", "-", stdin=app_doc(name, spec), check=False)
        assert result.returncode != 0 and field in result.stderr, (name, result.stderr)
        assert stack.registry.application(name) is None
    stack.application("good", url, "app", "specs")
    stack.application("unknown-project", url, "app", "specs-up", project="nope")
    stack.application("unknown-cluster", url, "app", "specs-uc", server="https://10.255.255.1:6443")
    worker = stack.engine_worker("w1")
    expected = {"unknown-project": "nope", "unknown-cluster": "10.255.255.1"}
    for name in ["good", *expected]:
        stack.refresh(name)
    wait_for(lambda: stack.synced_healthy("good"), 120, f"good synced\n{worker.text()[-2000:]}")
    for name, word in expected.items():
        message = wait_for(
            lambda n=name: invalid_spec(stack, n), 60, f"{name} InvalidSpecError {stack.status(name)}"
        )  # type: ignore[misc]
        assert word in message, (name, message)
    assert stack.namespace_objects("specs-up") == [] and stack.namespace_objects("specs-uc") == []


def invalid_spec(stack: EngineStack, name: str) -> str:
    return next((c["message"] for c in stack.conditions(name) if c.get("type") == "InvalidSpecError"), "")
