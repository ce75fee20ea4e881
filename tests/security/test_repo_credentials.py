# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Private repositories on a real worker: credentials from an Argo CD `repository` Secret of the
management namespace (created while the worker runs, no restart) and from a repoURL's userinfo;
a wrong password gives a ComparisonError naming the repository, never the password."""

from __future__ import annotations

from typing import Any

import pytest
from faults.stack import EngineStack, configmap, wait_for
from kubernetes import client as kclient

pytestmark = pytest.mark.slow
WRONG = "wrongpwMARKz9"


def _repository_secret(name: str, url: str, password: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {"url": url, "username": "alice", "password": password},
    }


def _comparison_error(stack: EngineStack, name: str) -> str:
    found = [c["message"] for c in stack.conditions(name) if c["type"] == "ComparisonError"]
    return str(found[0]) if found else ""


def test_repository_secret_created_while_worker_runs(stack: EngineStack, git_server: Any) -> None:
    for name in ("secret-ok", "secret-bad"):
        git_server.create_repo(name, private=True).commit({"app/cm.yaml": configmap(name, "v1")})
    stack.engine_worker("w1")
    stack.application("secret-ok", git_server.url("secret-ok"), "app", "secret-ok")
    stack.refresh("secret-ok")  # no Secret yet: refused by the server
    wait_for(lambda: _comparison_error(stack, "secret-ok"), 60, "secret-ok error without a Secret")
    core: Any = kclient.CoreV1Api(stack.kubesim.api_client())
    core.create_namespaced_secret(
        "bosun", _repository_secret("ok", git_server.url("secret-ok"), git_server.password)
    )
    core.create_namespaced_secret("bosun", _repository_secret("bad", git_server.url("secret-bad"), WRONG))
    stack.application("secret-bad", git_server.url("secret-bad"), "app", "secret-bad")

    def synced() -> bool:
        stack.refresh("secret-ok")  # the same worker process: Secrets are re-read, no restart
        return stack.synced_healthy("secret-ok")

    wait_for(synced, 120, "secret-ok synced once its Secret exists")
    assert stack.configmap_value("secret-ok", "secret-ok") == "v1"
    stack.refresh("secret-bad")
    error = wait_for(lambda: _comparison_error(stack, "secret-bad"), 60, "secret-bad error")
    assert "secret-bad.git" in error and WRONG not in error
    assert WRONG not in stack.logs() and git_server.password not in stack.logs()


def test_repo_url_userinfo_is_used_and_never_shown(stack: EngineStack, git_server: Any, rclient: Any) -> None:
    for name in ("url-ok", "url-bad"):
        git_server.create_repo(name, private=True).commit({"app/cm.yaml": configmap(name, "v1")})
    good = git_server.url("url-ok", auth="basic")
    bad = git_server.url("url-bad", auth="basic").replace(git_server.password, WRONG)
    core: Any = kclient.CoreV1Api(stack.kubesim.api_client())  # the URL's password wins over this one
    core.create_namespaced_secret("bosun", _repository_secret("url-ok", git_server.url("url-ok"), WRONG))
    stack.application("url-ok", good, "app", "url-ok")
    stack.application("url-bad", bad, "app", "url-bad")
    stack.engine_worker("w1", level="DEBUG")
    for name in ("url-ok", "url-bad"):
        stack.refresh(name)
    wait_for(lambda: stack.synced_healthy("url-ok"), 120, "url-ok synced")
    assert stack.configmap_value("url-ok", "url-ok") == "v1"
    error = wait_for(lambda: _comparison_error(stack, "url-bad"), 60, "url-bad error")
    assert "url-bad.git" in error and WRONG not in error and "@" not in error
    statuses = str(stack.status("url-ok")) + str(stack.status("url-bad"))
    keys = " ".join(k.decode() if isinstance(k, bytes) else k for k in rclient.scan_iter("*"))
    for secret in (git_server.password, WRONG):
        assert secret not in statuses and secret not in stack.logs() and secret not in keys
