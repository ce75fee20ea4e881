"""`bosun app ...` against a running stack: real `bosun server` and `bosun worker` processes, Redis,
kubesim; every command run as its own `bosun` process (exit codes, stdout and stderr checked)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from gitops.registry import durable_fence

from .stack import READ_TOKEN, WRITE_TOKEN, CliStack, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cli-apps")]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def app_file(tmp_path: Path, name: str, **annotations: str) -> Path:
    doc = yaml.safe_load((FIXTURES / "guestbook-valid.yaml").read_text())
    doc["metadata"] = {"name": name, "annotations": annotations}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def create(stack: CliStack, tmp_path: Path, name: str, **annotations: str) -> None:
    done = stack.bosun("app", "create", "-f", str(app_file(tmp_path, name, **annotations)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"application {name!r} created"


def get_json(stack: CliStack, name: str) -> dict[str, Any]:
    done = stack.bosun("app", "get", name, "-o", "json")
    assert done.returncode == 0, done.stderr
    app: dict[str, Any] = json.loads(done.stdout)
    return app


def assert_clean_error(done: Any, *needles: str) -> None:
    """Exit 1, one `bosun: ...` line on stderr naming what is wrong, no traceback, no secret."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("bosun: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr
    for secret in (READ_TOKEN, WRITE_TOKEN):
        assert secret not in done.stdout + done.stderr


def probe_count(stack: CliStack, *parts: str) -> int:
    client = redis.Redis.from_url(stack.redis_url)
    try:
        return int(client.get(":".join((stack.prefix, "probe", *parts))) or 0)
    finally:
        client.close()


def test_create_then_list_get_and_wait(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "web")
    waited = stack.bosun("app", "wait", "web", "--sync", "--health", "--timeout", "30")
    assert waited.returncode == 0, waited.stderr
    assert "web: sync Synced to ffffffff, health Healthy" in waited.stderr  # progress lines

    listed = stack.bosun("app", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["NAME", "PROJECT", "SYNC", "HEALTH", "REVISION", "OPERATION", "DESTINATION"]
    row = next(r.split() for r in rows if r.startswith("web "))
    assert row == ["web", "default", "Synced", "Healthy", "ffffffff", "-",
                   "https://kubernetes.default.svc/guestbook"]  # fmt: skip

    app = get_json(stack, "web")
    assert app["kind"] == "Application" and app["metadata"]["name"] == "web"
    assert app["spec"]["destination"]["namespace"] == "guestbook"
    assert app["status"]["sync"]["status"] == "Synced" and app["status"]["health"]["status"] == "Healthy"
    as_yaml = yaml.safe_load(stack.bosun("app", "get", "web", "-o", "yaml").stdout)
    assert as_yaml["status"]["sync"] == app["status"]["sync"]
    text = stack.bosun("app", "get", "web").stdout
    assert "Sync:" in text and "Synced to ffffffff" in text and "Health:" in text

    listed_json = json.loads(stack.bosun("app", "list", "-o", "json", "--sync", "Synced").stdout)
    assert "web" in [a["metadata"]["name"] for a in listed_json]
    assert stack.bosun("app", "list", "--sync", "OutOfSync", "-o", "json").stdout.count('"web"') == 0


def test_create_refuses_bad_input_and_changes_nothing(stack: CliStack, tmp_path: Path) -> None:
    invalid = stack.bosun("app", "create", "-f", str(FIXTURES / "application-no-destination-invalid.yaml"))
    assert_clean_error(invalid, "no-destination", "destination")
    assert_clean_error(stack.bosun("app", "get", "no-destination"), "'no-destination'", "not found")

    not_app = stack.bosun("app", "create", "-f", str(FIXTURES / "configmap-not-an-application.yaml"))
    assert_clean_error(not_app, "configmap-not-an-application.yaml", "'ConfigMap', not an Application")
    malformed = stack.bosun_process("app", "create", "-f", str(FIXTURES / "application-malformed-yaml.yaml"))
    assert_clean_error(malformed, "application-malformed-yaml.yaml", "not valid YAML")
    missing = stack.bosun("app", "create", "-f", str(tmp_path / "nope.yaml"))
    assert_clean_error(missing, "nope.yaml", "cannot read")

    create(stack, tmp_path, "dup")
    again = stack.bosun("app", "create", "-f", str(app_file(tmp_path, "dup")))
    assert_clean_error(again, "'dup'", "already exists", "--upsert")
    path = app_file(tmp_path, "dup", team="blue")
    upsert = stack.bosun("app", "create", "-f", str(path), "--upsert", "-o", "json")
    assert upsert.returncode == 0, upsert.stderr
    assert json.loads(upsert.stdout)["metadata"]["annotations"]["team"] == "blue"


def test_stdin_create_of_several_documents(stack: CliStack, tmp_path: Path) -> None:
    docs = [yaml.safe_load(app_file(tmp_path, n).read_text()) for n in ("multi-a", "multi-b")]
    done = stack.bosun_process("app", "create", "-f", "-", stdin=yaml.safe_dump_all(docs))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["application 'multi-a' created", "application 'multi-b' created"]


def test_sync_shows_progress_and_succeeds(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "shop", **{"probe/steps": "3", "probe/sleep": "1.0"})
    done = stack.bosun_process("app", "sync", "shop", "--prune", "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert "application 'shop': sync requested" in done.stderr
    assert "operation Running (step 1)" in done.stderr or "operation Running (step 2)" in done.stderr
    assert done.stdout.startswith("Name:")
    events = json.loads(stack.bosun("app", "events", "shop", "-o", "json").stdout)
    requested = [e for e in events if e["kind"] == "sync-requested"]
    assert requested and "prune=True" in requested[0]["message"] and requested[0]["by"] == "api"
    assert next(e["message"] for e in events if e["kind"] == "sync-step") == "probe step 3 Succeeded"

    dry = stack.bosun("app", "sync", "shop", "--dry-run", "--revision", "v2", "-o", "json", "--timeout", "60")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["metadata"]["name"] == "shop" and "operation" not in json.loads(dry.stdout)


def test_sync_and_wait_time_out_with_exit_1(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "slow", **{"probe/steps": "1000", "probe/sync": "OutOfSync"})
    started = time.monotonic()
    done = stack.bosun("app", "sync", "slow", "--timeout", "1.5")
    assert_clean_error_last_line(done, "application 'slow': timed out after 1.5s")
    assert time.monotonic() - started < 30
    busy = stack.bosun("app", "sync", "slow", "--async")
    assert_clean_error(busy, "'slow'", "already has an operation in progress")
    waited = stack.bosun("app", "wait", "slow", "--sync", "--timeout", "1")
    assert_clean_error_last_line(waited, "application 'slow': timed out after 1s")


def assert_clean_error_last_line(done: Any, needle: str) -> None:
    """Waiting commands print progress on stderr, then the error as the last line."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("bosun: ") and needle in last, done.stderr
    assert "Traceback" not in done.stderr


def test_refresh_and_hard_refresh_reach_a_worker(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "cache")
    assert stack.bosun("app", "wait", "cache", "--sync", "--timeout", "30").returncode == 0
    before = probe_count(stack, "calls", "refresh", "cache")
    done = stack.bosun("app", "refresh", "cache", "--hard")
    assert done.returncode == 0 and done.stdout.strip() == "application 'cache': hard refresh queued"
    deadline = time.monotonic() + 30
    while probe_count(stack, "calls", "hard", "cache") < 1:
        assert time.monotonic() < deadline, "hard refresh never ran"
        time.sleep(0.1)
    assert probe_count(stack, "calls", "refresh", "cache") > before
    assert_clean_error(stack.bosun("app", "refresh", "ghost"), "'ghost'", "not found")


def test_history_of_an_app_without_deployments(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "fresh")
    done = stack.bosun("app", "history", "fresh")
    assert done.returncode == 0 and "no deployments yet" in done.stdout
    assert json.loads(stack.bosun("app", "history", "fresh", "-o", "json").stdout) == []


def test_delete_with_and_without_cascade(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "keep-res")
    done = stack.bosun("app", "delete", "keep-res", "--no-cascade")
    assert done.returncode == 0 and "leaving its resources in place" in done.stdout
    assert_clean_error(stack.bosun("app", "get", "keep-res"), "not found")

    create(stack, tmp_path, "drop-res")
    done = stack.bosun("app", "delete", "drop-res", "--cascade", "--wait", "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["application 'drop-res': deletion requested (with its resources)",
                                        "application 'drop-res': deleted"]  # fmt: skip
    assert_clean_error(stack.bosun("app", "get", "drop-res"), "not found")
    assert_clean_error(stack.bosun("app", "delete", "ghost"), "'ghost'", "not found")


def test_auth_and_connection_errors_are_one_clear_line(stack: CliStack) -> None:
    wrong = stack.bosun_process("app", "list", env={"BOSUN_API_TOKEN": "not-the-token"})
    assert_clean_error(wrong, "refused the token (401)", "set BOSUN_API_TOKEN")
    assert "not-the-token" not in wrong.stderr
    unset = stack.bosun("app", "list", env={"BOSUN_API_TOKEN": ""})
    assert_clean_error(unset, "set BOSUN_API_TOKEN")
    read_only = stack.bosun("app", "refresh", "anything", env={"BOSUN_API_TOKEN": READ_TOKEN})
    assert_clean_error(read_only, "403", "write token")
    assert stack.bosun("app", "list", env={"BOSUN_API_TOKEN": READ_TOKEN}).returncode == 0
    url = f"http://127.0.0.1:{free_port()}"
    down = stack.bosun_process("app", "get", "web", env={"BOSUN_API_URL": url})
    assert_clean_error(down, f"is `bosun server` running at {url}?", "app 'web'")
    with_userinfo = stack.bosun(
        "app", "list", env={"BOSUN_API_URL": f"http://user:s3cret@127.0.0.1:{free_port()}"}
    )
    assert_clean_error(with_userinfo, "bosun server")
    assert "s3cret" not in with_userinfo.stderr


def seed_history(stack: CliStack, name: str, revisions: list[str], automated: bool = False) -> None:
    """Record past deployments on the Application, as finished syncs would have."""
    assert stack.registry is not None
    current = stack.registry.application(name)
    assert current is not None
    history = [
        {"id": i, "revision": rev, "deployedAt": f"2026-11-2{i}T10:00:00Z",
         "source": {"repoURL": "https://git.example.invalid/acme/guestbook.git", "path": "guestbook",
                    "targetRevision": "HEAD"},
         "initiatedBy": {"username": "ci"}}
        for i, rev in enumerate(revisions)
    ]  # fmt: skip
    status = {**(current.get("status") or {}), "history": history}
    status.pop("bosun", None)
    stack.registry.write_status(name, status, fence=durable_fence(current) + 1000)
    if automated:
        stack.registry.patch(name, {"spec": {"syncPolicy": {"automated": {"prune": True}}}})


def test_history_and_rollback(stack: CliStack, tmp_path: Path) -> None:
    create(stack, tmp_path, "rolly", **{"probe/steps": "2"})
    assert stack.bosun("app", "wait", "rolly", "--sync", "--timeout", "30").returncode == 0
    seed_history(stack, "rolly", ["a" * 40, "b" * 40])

    table = stack.bosun("app", "history", "rolly")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "DEPLOYED", "REVISION", "TARGET", "BY"]
    assert lines[1].split() == ["0", "2026-11-20T10:00:00Z", "aaaaaaaa", "HEAD", "ci"]
    assert [h["id"] for h in json.loads(stack.bosun("app", "history", "rolly", "-o", "json").stdout)] == [
        0,
        1,
    ]

    unknown = stack.bosun("app", "rollback", "rolly", "7")
    assert_clean_error(unknown, "'rolly'", "no history entry with id 7", "0, 1")
    done = stack.bosun("app", "rollback", "rolly", "--timeout", "60")  # default: the previous entry (0)
    assert done.returncode == 0, done.stderr
    assert "rollback to history id 0 requested" in done.stderr
    events = json.loads(stack.bosun("app", "events", "rolly", "-o", "json").stdout)
    assert any(e["kind"] == "rollback-requested" and "a" * 40 in e["message"] for e in events)
    assert any(e["kind"] == "sync-step" and "Succeeded" in e["message"] for e in events)

    create(stack, tmp_path, "auto-rolly")
    assert stack.bosun("app", "wait", "auto-rolly", "--sync", "--timeout", "30").returncode == 0
    seed_history(stack, "auto-rolly", ["c" * 40, "d" * 40], automated=True)
    refused = stack.bosun("app", "rollback", "auto-rolly", "0")
    assert_clean_error(refused, "'auto-rolly'", "rollback refused while automated sync is enabled")


def test_argocd_file_with_operation_is_created_here_and_synced(stack: CliStack) -> None:
    done = stack.bosun("app", "create", "-f", str(FIXTURES / "argocd-namespace-with-operation-valid.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        "bosun: app 'from-argocd': note: metadata.namespace 'argocd' ignored: created in 'bosun'"
    )
    waited = stack.bosun("app", "wait", "from-argocd", "--operation", "--timeout", "30")
    assert waited.returncode == 0, waited.stderr
    events = json.loads(stack.bosun("app", "events", "from-argocd", "-o", "json").stdout)
    assert any(e["kind"] == "sync-step" and "Succeeded" in e["message"] for e in events)
    assert get_json(stack, "from-argocd")["metadata"]["namespace"] == "bosun"
