"""The CLI driving the real engine: a git repository served on loopback, kubesim as management and
destination cluster, `bosun server` and a `bosun worker` running Bosun's own Celery app (no probe).
create -> refresh (OutOfSync) -> sync -> history -> new commit -> refresh -> sync -> rollback ->
cascading delete; a sync that fails exits 1 with the reason; a running operation terminated."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from controlplane.conftest import RedisServer
from gitserver import GitServer, WorkRepo
from kubernetes import client as kclient

from kubesim.testing import KubesimServer

from .conftest import running_stack
from .stack import CliStack

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cli-engine")]


def configmap(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  version: {value}\n"


# A PreSync hook that never finishes (a suspended Job), so its operation stays Running.
SUSPENDED_PRESYNC_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox
          command: ["true"]
"""


@dataclass
class EngineStack:
    cli: CliStack
    kubesim: KubesimServer
    git: GitServer
    repo: WorkRepo

    def app_yaml(self, name: str, path: str) -> str:
        return yaml.safe_dump({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": name},
            "spec": {"project": "default",
                     "source": {"repoURL": self.git.url("shop"), "path": path, "targetRevision": "HEAD"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
                     "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}},
        })  # fmt: skip

    def live(self, namespace: str, name: str) -> str | None:
        try:
            cm = kclient.CoreV1Api(self.kubesim.api_client()).read_namespaced_config_map(name, namespace)
        except kclient.ApiException:
            return None
        return str((cm.data or {}).get("version"))

    def job(self, namespace: str, name: str) -> bool:
        try:
            kclient.BatchV1Api(self.kubesim.api_client()).read_namespaced_job(name, namespace)
        except kclient.ApiException:
            return False
        return True

    def app(self, name: str) -> dict[str, Any]:
        done = self.cli.bosun("app", "get", name, "-o", "json")
        assert done.returncode == 0, done.stderr
        app: dict[str, Any] = json.loads(done.stdout)
        return app


@pytest.fixture(scope="module")
def engine(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    tmp = tmp_path_factory.mktemp("cli-engine")
    git = GitServer(tmp / "git")
    try:
        repo = git.create_repo("shop")
        repo.commit({"apps/web/cm.yaml": configmap("web-config", "v1"),
                     "apps/bad/cm.yaml": configmap("Not_A_Valid_Name", "v1"),
                     "apps/hooked/cm.yaml": configmap("after-hook", "v1"),
                     "apps/hooked/presync-job-never-finishes.yaml": SUSPENDED_PRESYNC_JOB}, "v1")  # fmt: skip
        with running_stack(redis_server, tmp, probe=False) as (cli, kubesim):
            yield EngineStack(cli, kubesim, git, repo)
    finally:
        git.stop()


def changed(diff: str) -> tuple[set[str], set[str]]:
    """(removed, added) lines of a unified diff's `data.version`, stripped."""
    lines = [line for line in diff.splitlines() if "version: v" in line and line[:1] in "+-"]
    return ({line[1:].strip() for line in lines if line[0] == "-"},
            {line[1:].strip() for line in lines if line[0] == "+"})  # fmt: skip


def until(predicate: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_deploy_update_and_rollback_with_the_cli(engine: EngineStack) -> None:
    cli = engine.cli
    v1 = engine.repo.head()
    created = cli.bosun("app", "create", "-f", "-", stdin=engine.app_yaml("web", "apps/web"))
    assert created.returncode == 0, created.stderr
    until(lambda: engine.app("web").get("status", {}).get("sync", {}).get("revision") == v1, "first refresh")
    assert engine.app("web")["status"]["sync"]["status"] == "OutOfSync"
    row = next(
        line.split() for line in cli.bosun("app", "list").stdout.splitlines() if line.startswith("web ")
    )
    assert row[2] == "OutOfSync" and row[4] == v1[:8]

    diff = cli.bosun("app", "diff", "web")
    assert diff.returncode == 1, diff.stderr  # web-config is missing from the cluster
    assert "web-config" in diff.stdout and changed(diff.stdout) == (set(), {"version: v1"})
    assert diff.stderr.strip() == "application 'web': 1 resource(s) differ"

    synced = cli.bosun("app", "sync", "web", "--timeout", "90")
    assert synced.returncode == 0, synced.stderr
    assert engine.live("web", "web-config") == "v1"
    assert "operation Succeeded" in synced.stderr
    result_rows = [line.split() for line in synced.stdout.splitlines()]
    assert ["ConfigMap", "web", "web-config", "Synced"] in [r[:4] for r in result_rows]
    waited = cli.bosun("app", "wait", "web", "--timeout", "60")  # synced, healthy, no operation
    assert waited.returncode == 0, waited.stderr

    same = cli.bosun("app", "diff", "web")
    assert same.returncode == 0 and same.stdout == "" and same.stderr == ""

    history = json.loads(cli.bosun("app", "history", "web", "-o", "json").stdout)
    assert [(h["id"], h["revision"]) for h in history] == [(0, v1)]

    v2 = engine.repo.commit({"apps/web/cm.yaml": configmap("web-config", "v2")}, "v2")
    # A hard refresh re-resolves HEAD now (a normal one may use the resolution cached for up to 3 min).
    assert cli.bosun("app", "refresh", "web", "--hard").returncode == 0
    until(lambda: engine.app("web")["status"]["sync"].get("revision") == v2, "refresh to v2")
    assert engine.app("web")["status"]["sync"]["status"] == "OutOfSync"
    drift = cli.bosun("app", "diff", "web")
    assert drift.returncode == 1 and changed(drift.stdout) == ({"version: v1"}, {"version: v2"})
    assert cli.bosun("app", "sync", "web", "--timeout", "90").returncode == 0
    assert engine.live("web", "web-config") == "v2"
    table = cli.bosun("app", "history", "web").stdout.splitlines()
    assert [line.split()[2] for line in table[1:]] == [v1[:8], v2[:8]]

    rolled = cli.bosun("app", "rollback", "web", "--timeout", "90", "-o", "json")
    assert rolled.returncode == 0, rolled.stderr
    assert engine.live("web", "web-config") == "v1"
    assert json.loads(rolled.stdout)["status"]["operationState"]["syncResult"]["revision"] == v1

    deleted = cli.bosun("app", "delete", "web", "--wait", "--timeout", "90")  # cascade by default
    assert deleted.returncode == 0, deleted.stderr
    assert engine.live("web", "web-config") is None
    assert cli.bosun("app", "get", "web").returncode == 1


def test_failed_sync_exits_1_with_the_reason(engine: EngineStack) -> None:
    cli = engine.cli
    assert cli.bosun("app", "create", "-f", "-", stdin=engine.app_yaml("bad", "apps/bad")).returncode == 0
    done = cli.bosun("app", "sync", "bad", "--timeout", "90")
    assert done.returncode == 1, (done.stdout, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("bosun: application 'bad': operation Failed: ") or last.startswith(
        "bosun: application 'bad': operation Error: "
    ), done.stderr
    assert "Not_A_Valid_Name" in done.stderr + done.stdout
    assert engine.live("bad", "Not_A_Valid_Name") is None


def test_terminate_a_running_operation(engine: EngineStack) -> None:
    cli = engine.cli
    assert (
        cli.bosun("app", "create", "-f", "-", stdin=engine.app_yaml("hooked", "apps/hooked")).returncode == 0
    )
    assert cli.bosun("app", "sync", "hooked", "--async").returncode == 0

    def running() -> bool:
        state = engine.app("hooked").get("status", {}).get("operationState") or {}
        return state.get("phase") == "Running" and engine.job("hooked", "migrate")

    until(running, "the PreSync hook running")
    done = cli.bosun("app", "terminate-op", "hooked")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "application 'hooked': operation termination requested"
    waited = cli.bosun("app", "wait", "hooked", "--operation", "--timeout", "60")
    assert waited.returncode == 1
    assert "bosun: application 'hooked': operation Failed: " in waited.stderr
    assert "terminated" in waited.stderr.strip().splitlines()[-1].lower()
    until(lambda: not engine.job("hooked", "migrate"), "the running hook deleted")
    assert engine.live("hooked", "after-hook") is None  # the Sync phase never ran
    again = cli.bosun("app", "terminate-op", "hooked")
    assert again.returncode == 1 and "has no operation in progress" in again.stderr
