"""`bosun appset list|get` and /api/v1/applicationsets against a real API server (uvicorn), a
private redis-server and kubesim holding a set and the Applications its controller generated."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import httpx
import pytest
from controlplane.conftest import RedisServer, prefix, redis_server, settings  # noqa: F401  (fixtures)
from controlplane.servers import api_server
from pydantic import SecretStr

from bosun.cli import main
from gitops.settings import Settings, get_settings

from .appset_support import NAMESPACE, Fleet, template

pytestmark = pytest.mark.slow
TOKEN = "appset-read-token-31c"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_appset_list_and_get(
    kubesim_factory: Callable[..., Any], settings: Settings, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:  # fmt: skip
    fleet = Fleet(kubesim_factory)
    fleet.create_appset({"metadata": {"name": "envs"}, "spec": {
        "generators": [{"list": {"elements": [{"env": "dev"}, {"env": "prod"}]}}],
        "template": template("{{env}}-web", {"server": "https://kubernetes.default.svc"}, "{{env}}"),
        "syncPolicy": {"applicationsSync": "create-update"}}})  # fmt: skip
    fleet.create_appset({"metadata": {"name": "broken"}, "spec": {
        "generators": [{"scmProvider": {}}], "template": template("x", {"name": "in-cluster"}, "x")}})  # fmt: skip
    assert fleet.controller.reconcile("envs").created == ["dev-web", "prod-web"]
    assert fleet.controller.reconcile("broken").outcome == "error"
    api_settings = settings.model_copy(update={"namespace": NAMESPACE, "api_read_token": SecretStr(TOKEN)})
    with api_server(api_settings, fleet.driver.registry) as url:
        assert httpx.get(f"{url}/api/v1/applicationsets").status_code == 401
        monkeypatch.setenv("BOSUN_API_TOKEN", TOKEN)
        get_settings.cache_clear()
        code, out, err = run("--api-url", url, "appset", "list")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["NAME", "GENERATORS", "POLICY", "APPS", "ERROR"]
        assert lines[1].startswith("broken") and "scmProvider generator is not supported" in lines[1]
        assert lines[2].split()[:5] == ["envs", "list", "create-update", "2", "-"]
        code, out, _ = run("--api-url", url, "appset", "get", "envs")
        assert code == 0 and "Policy:      create-update" in out
        assert "dev-web" in out and "prod-web" in out and "https://kubernetes.default.svc/dev" in out
        code, out, _ = run("--api-url", url, "appset", "get", "envs", "-o", "json")
        assert code == 0 and '"applicationsSync": "create-update"' in out
        code, _, err = run("--api-url", url, "appset", "get", "nope")
        assert code == 1 and "applicationset 'nope' not found in namespace bosun" in err
    get_settings.cache_clear()
