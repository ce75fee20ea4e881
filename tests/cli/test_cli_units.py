"""Pure parts of the CLI: rendering, file reading, option parsing, error mapping (HTTP faked at the
transport edge with httpx.MockTransport), Flower's auth and log redaction, API validation helpers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr

from bosun import output
from bosun.client import BosunClient, display_url
from bosun.commands import app_ops
from bosun.commands.app_ops import Goal, parse_resource
from bosun.commands.apps import read_applications
from bosun.commands.flower import basic_auth, redact_broker_urls
from bosun.commands.processes import worker_argv
from gitops.errors import ApiError, ConfigError, SpecError
from gitops.settings import Settings
from scheduler.api.app_admin import merge_patch, validate_application, without_url_credentials

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_table_aligns_and_fills_empty_cells() -> None:
    text = output.table(("NAME", "SYNC"), [["web", "Synced"], ["a-longer-name", None]])
    assert text.splitlines() == ["NAME           SYNC", "web            Synced", "a-longer-name  -"]


def test_app_row_and_short_sha() -> None:
    app = {"metadata": {"name": "web"}, "spec": {"project": "p", "destination": {"name": "in-cluster", "namespace": "ns"}},
           "status": {"sync": {"status": "OutOfSync", "revision": "0123456789abcdef0123456789abcdef01234567"},
                      "health": {"status": "Degraded"}, "operationState": {"phase": "Failed"}}}  # fmt: skip
    assert output.app_row(app) == ["web", "p", "OutOfSync", "Degraded", "01234567", "Failed", "in-cluster/ns"]
    assert output.app_row({"metadata": {"name": "new"}})[2:4] == ["Unknown", "Unknown"]
    assert output.short_sha("v1.2.3") == "v1.2.3"
    assert yaml.safe_load(output.dump(app, "yaml")) == app and json.loads(output.dump(app, "json")) == app


def test_read_applications_accepts_lists_and_refuses_other_kinds(tmp_path: Path) -> None:
    doc = yaml.safe_load((FIXTURES / "guestbook-valid.yaml").read_text())
    listed = tmp_path / "list.yaml"
    listed.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [doc, doc]}))
    assert len(read_applications(str(listed))) == 2
    with pytest.raises(ConfigError, match="document 1 is a 'ConfigMap', not an Application"):
        read_applications(str(FIXTURES / "configmap-not-an-application.yaml"))
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d"):
        read_applications(str(FIXTURES / "application-malformed-yaml.yaml"))
    empty = tmp_path / "empty.yaml"
    empty.write_text("---\n")
    with pytest.raises(ConfigError, match="no documents"):
        read_applications(str(empty))


def test_parse_resource() -> None:
    assert parse_resource("apps:Deployment:web") == {"group": "apps", "kind": "Deployment", "name": "web"}
    assert parse_resource(":ConfigMap:ns/cm") == {
        "group": "",
        "kind": "ConfigMap",
        "name": "cm",
        "namespace": "ns",
    }
    with pytest.raises(ConfigError, match="not GROUP:KIND:NAME"):
        parse_resource("Deployment/web")


def test_wait_goal() -> None:
    synced = {"status": {"sync": {"status": "Synced"}, "health": {"status": "Progressing"}}}
    assert Goal(sync=True, health=False, operation=False).reached(synced)
    assert not Goal(sync=True, health=True, operation=False).reached(synced)
    requested = {**synced, "operation": {"sync": {}}}
    assert not Goal(sync=False, health=False, operation=True).reached(requested)
    failed = {"status": {"operationState": {"phase": "Failed", "message": "hook failed"}}}
    assert Goal(sync=False, health=False, operation=True).failure(failed) == "operation Failed: hook failed"
    assert Goal(sync=True, health=False, operation=False).failure(failed) is None


def _client(handler: httpx.MockTransport, token: str = "tok-secret") -> BosunClient:
    return BosunClient("http://user:pw@127.0.0.1:9", token, transport=handler)


def test_client_errors_name_the_app_and_hide_secrets() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer tok-secret"
        path = request.url.path
        if path.endswith("/web"):
            return httpx.Response(401, json={"detail": "unknown bearer token tok-secret"})
        if path.endswith("/ro/refresh"):
            return httpx.Response(403, json={"detail": "this token may only read; use the write token"})
        if path.endswith("/gone"):
            return httpx.Response(404, json={"detail": "application 'gone' not found in namespace bosun"})
        if path.endswith("/diff"):
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(500, text="boom tok-secret")

    client = _client(httpx.MockTransport(answer))
    with pytest.raises(ApiError) as err:
        client.application("web")
    assert str(err.value) == ("app 'web': the API at http://127.0.0.1:9 refused the token (401) "
                              "(set BOSUN_API_TOKEN to the API's read or write token)")  # fmt: skip
    with pytest.raises(ApiError, match=r"not allowed \(403\).*write token"):
        client.refresh("ro")
    with pytest.raises(ApiError) as err:
        client.application("gone")
    assert str(err.value).startswith("application 'gone' not found in namespace bosun")
    with pytest.raises(ApiError, match="has no endpoint GET /api/v1/applications/x/diff"):
        client.diff("x")
    with pytest.raises(ApiError) as err:
        client.history("other")
    assert "tok-secret" not in str(err.value) and "***" in str(err.value)


def test_client_follows_pages() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        items = [{"metadata": {"name": f"a{offset}"}}]
        return httpx.Response(
            200, json={"items": items, "metadata": {"next": offset + 1 if offset < 2 else None}}
        )

    names = [a["metadata"]["name"] for a in _client(httpx.MockTransport(answer)).applications()]
    assert names == ["a0", "a1", "a2"]


def test_display_url_drops_userinfo() -> None:
    assert display_url("https://u:p@bosun.example:8443/x") == "https://bosun.example:8443/x"
    assert display_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_flower_auth_and_redaction() -> None:
    with pytest.raises(ConfigError, match="refusing to start Flower without a password"):
        basic_auth(Settings(), no_auth=False)
    assert basic_auth(Settings(), no_auth=True) == []
    assert basic_auth(Settings(flower_user="ops", flower_password=SecretStr("pw")), no_auth=False) == [
        "ops:pw"
    ]
    with pytest.raises(ConfigError, match="no ':'"):
        basic_auth(Settings(flower_user="a:b", flower_password=SecretStr("pw")), no_auth=False)
    line = "Connected to redis://:**@10.0.0.5:6379/0 and rediss://u:p@h:6380/1?ssl_cert_reqs=required."
    assert redact_broker_urls(line) == "Connected to <broker> and <broker>"


def test_worker_argv() -> None:
    args = argparse.Namespace(queues="sync", concurrency=4, hostname=None, pool="prefork", include="")
    argv = worker_argv(args)
    assert argv[:5] == ["worker", "-Q", "sync", "-n", "bosun-sync@%h"] and argv[-2:] == ["-c", "4"]
    with pytest.raises(ConfigError, match="unknown queue"):
        worker_argv(argparse.Namespace(**{**vars(args), "queues": ","}))
    with pytest.raises(ConfigError, match="at least 1"):
        worker_argv(argparse.Namespace(**{**vars(args), "concurrency": 0}))


def test_api_validation_and_merge_patch() -> None:
    doc = yaml.safe_load((FIXTURES / "guestbook-valid.yaml").read_text())
    assert validate_application(doc) == "guestbook"
    with pytest.raises(SpecError, match="destination"):
        validate_application(
            yaml.safe_load((FIXTURES / "application-no-destination-invalid.yaml").read_text())
        )
    with pytest.raises(SpecError, match="apiVersion/kind"):
        validate_application({**doc, "kind": "AppProject"})
    with pytest.raises(SpecError, match="syncOptions"):
        validate_application({**doc, "spec": {**doc["spec"], "syncPolicy": {"syncOptions": ["Bogus"]}}})
    old = {"a": 1, "b": {"c": 1, "d": 2}, "e": [1]}
    new = {"a": 1, "b": {"c": 3}, "e": [2], "f": True}
    assert merge_patch(old, new) == {"b": {"c": 3, "d": None}, "e": [2], "f": True}


def test_app_summary_shows_operation_conditions_and_resources() -> None:
    app = {
        "metadata": {"name": "web"},
        "spec": {"project": "default", "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
                 "sources": [{"repoURL": "https://git.example/acme/web.git", "path": "deploy"}]},
        "status": {
            "sync": {"status": "OutOfSync", "revision": "a" * 40},
            "health": {"status": "Degraded", "message": "1 of 2 pods failing"},
            "operationState": {"phase": "Failed", "message": "hook job failed"},
            "conditions": [{"type": "SyncError", "message": "hook job failed"}],
            "resources": [{"group": "apps", "kind": "Deployment", "namespace": "web", "name": "api",
                           "status": "OutOfSync", "health": {"status": "Degraded", "message": "crash loop"}}],
        },
    }  # fmt: skip
    text = output.app_summary(app)
    assert "Repo:         https://git.example/acme/web.git" in text
    assert "Target:       HEAD" in text and "Sync:         OutOfSync to aaaaaaaa" in text
    assert "Health:       Degraded 1 of 2 pods failing" in text
    assert "Operation:    Failed hook job failed" in text
    assert "Condition:  SyncError: hook job failed" in text
    assert text.splitlines()[-1].split() == [
        "apps",
        "Deployment",
        "web",
        "api",
        "OutOfSync",
        "Degraded",
        "crash",
        "loop",
    ]


def test_wait_retries_an_unavailable_api_but_not_a_missing_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_ops, "POLL_SECONDS", 0.01)
    answers = iter([httpx.Response(503, json={"detail": "redis unreachable"}),
                    httpx.Response(200, json={"metadata": {"name": "web"}, "status": {"sync": {"status": "Synced"}}})])  # fmt: skip
    client = _client(httpx.MockTransport(lambda request: next(answers)))
    app, error = app_ops.wait_for(client, "web", Goal(sync=True, health=False, operation=False), timeout=10)
    assert error is None and app["metadata"]["name"] == "web"
    missing = _client(
        httpx.MockTransport(
            lambda request: httpx.Response(404, json={"detail": "application 'web' not found"})
        )
    )
    with pytest.raises(ApiError, match="not found"):
        app_ops.wait_for(missing, "web", Goal(sync=True, health=False, operation=False), timeout=10)
    down = _client(httpx.MockTransport(lambda request: httpx.Response(502, json={"detail": "cluster down"})))
    app, error = app_ops.wait_for(down, "web", Goal(sync=True, health=False, operation=False), timeout=0.05)
    assert (
        app == {} and error is not None and "timed out after 0.05s; last error: the API answered 502" in error
    )


def test_created_resource_is_answered_without_url_credentials() -> None:
    app = {"spec": {"source": {"repoURL": "https://bot:s3cret@git.example/acme/web.git"},
                    "sources": [{"repoURL": "https://x:tok@git.example/a.git"}, "odd"]}}  # fmt: skip
    cleaned = without_url_credentials(app)
    assert "s3cret" not in json.dumps(cleaned) and "tok@" not in json.dumps(cleaned)
    assert cleaned["spec"]["source"]["repoURL"] == "https://git.example/acme/web.git"
    assert app["spec"]["source"]["repoURL"].startswith("https://bot:s3cret@")  # input untouched
