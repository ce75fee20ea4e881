# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 5: the git server down, hanging, or refusing credentials, then back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from controlplane.workers_proc import start_beat

from .stack import EngineStack, configmap, wait_for
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow
FAST = {"bosun.dev/refresh-interval": "2s"}


def comparison_error(stack: EngineStack, name: str) -> str:
    return next((c["message"] for c in stack.conditions(name) if c.get("type") == "ComparisonError"), "")


@pytest.mark.reliability(
    case="F5 git server down, hanging, refusing credentials",
    done="app 'flaky' reads its repo through a switchable TCP proxy, app 'steady' reads another repo directly; "
    "beat every 0.5 s, both apps refreshed every 2 s, git timeout 3 s; in turn: proxy refuses connections "
    "(down), proxy accepts and never answers (hang), repo made private (credentials refused); a new commit "
    "is pushed to both repos during each outage; then the server returns",
    checked="during each outage: 'flaky' gets a ComparisonError naming its repo URL (no userinfo), its objects "
    "in the cluster keep the last good version, 'steady' deploys its new commit; after each outage 'flaky' "
    "recovers by itself (no manual trigger) and deploys the latest commit",
)
def test_git_outages_are_reported_and_recovered(stack: EngineStack, git_server: Any, tmp_path: Path) -> None:
    flaky_repo, steady_repo = git_server.create_repo("flaky"), git_server.create_repo("steady")
    flaky_repo.commit({"app/cm.yaml": configmap("flaky", "v0")})
    steady_repo.commit({"app/cm.yaml": configmap("steady", "v0")})
    proxy = TcpProxy(git_server.http_port)
    flaky_url = f"http://127.0.0.1:{proxy.port}/flaky.git"
    stack.application("flaky", flaky_url, "app", "flaky", **FAST)
    stack.application("steady", git_server.url("steady"), "app", "steady", **FAST)
    stack.env |= {"BOSUN_GIT_TIMEOUT_SECONDS": "3", "BOSUN_TICK_SECONDS": "0.5",
                  "BOSUN_REFRESH_JITTER_SECONDS": "0", "BOSUN_REVISION_CACHE_SECONDS": "1"}  # fmt: skip
    worker = stack.engine_worker("w1", concurrency=2)
    (tmp_path / "beat").mkdir()
    stack.processes.append(start_beat(stack.env, tmp_path / "beat" / "beat.log", tmp_path / "beat"))
    try:
        wait_for(lambda: stack.configmap_value("flaky", "flaky") == "v0", 120, f"v0\n{worker.text()[-2000:]}")
        for n, outage in enumerate(("refuse", "hang", "private"), start=1):
            if outage == "private":
                git_server.private.add("flaky")
            else:
                proxy.mode = outage
            flaky_repo.commit({"app/cm.yaml": configmap("flaky", f"v{n}")})
            steady_repo.commit({"app/cm.yaml": configmap("steady", f"v{n}")})
            message = wait_for(lambda: comparison_error(stack, "flaky"), 90, f"{outage}: ComparisonError")
            assert f"127.0.0.1:{proxy.port}/flaky.git" in message and "@" not in message, message
            assert stack.configmap_value("flaky", "flaky") == f"v{n - 1}"  # last good state stays
            wait_for(
                lambda n=n: stack.configmap_value("steady", "steady") == f"v{n}", 90, f"{outage}: steady"
            )  # type: ignore[misc]
            proxy.mode = "pass"
            git_server.private.discard("flaky")
            wait_for(
                lambda n=n: stack.configmap_value("flaky", "flaky") == f"v{n}", 90, f"{outage}: recovered"
            )  # type: ignore[misc]
            wait_for(lambda: not comparison_error(stack, "flaky") and stack.synced_healthy("flaky"), 60,
                     f"{outage}: condition cleared")  # fmt: skip
    finally:
        proxy.stop()
