# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Fault 6: two beats at once, the same webhook delivered twice, and a burst of 1,000 webhooks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import redis
from controlplane.servers import api_server
from controlplane.webhook_requests import sign
from controlplane.workers_proc import start_beat
from pydantic import SecretStr

from gitops.triggers.due import current_slot, slot_start

from .stack import EngineStack, wait_for

pytestmark = pytest.mark.slow
SECRET = "storm-secret"
REPO = "https://github.com/acme/storm.git"


def push(delivery: str, sha: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"ref": "refs/heads/main", "after": sha,
                       "repository": {"clone_url": REPO, "html_url": REPO.removesuffix(".git"), "default_branch": "main"},
                       "commits": [{"id": sha, "added": [], "removed": [], "modified": ["app/cm.yaml"]}]}).encode()  # fmt: skip
    return {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + sign(SECRET, body)}, body  # fmt: skip


def next_slot_in(name: str, now: float) -> float:
    """Seconds until the app's next 600 s refresh slot (interval set for this test, no jitter)."""
    slot = current_slot(name, now, 600, 0)
    assert slot is not None
    return slot_start(name, slot + 1, 600, 0) - now


@pytest.mark.reliability(
    case="F6 two beats, duplicate webhook, burst of 1,000 webhooks",
    done="5 apps on one repo (probe reconciler, 0.2 s per refresh) + 1 app on another repo; two beats ticking "
    "every 0.3 s; one webhook delivered twice; then 1,000 signed push webhooks (distinct deliveries, one "
    "commit) POSTed back to back to the API",
    checked="the duplicate delivery is answered 'duplicate'; every answer is 200, 429 or 503 (never another "
    "5xx or a crash); queued refreshes never exceed one per app; each app is refreshed once for its beat slot "
    "plus at most a few coalesced webhook refreshes (bounded, not 1,000); the other repo's app only by the "
    "beat; Redis memory stays small; the API still answers /healthz",
)
def test_trigger_storms_stay_bounded(stack: EngineStack, rclient: redis.Redis, tmp_path: Path) -> None:
    now = time.time()
    names = [n for n in (f"storm-{i}" for i in range(300)) if next_slot_in(n, now) > 300][:6]
    names, bystander = names[:5], names[5]
    for name in names:
        stack.app(name, **{"probe/sleep": "0.2"})
        stack.registry.patch(name, {"spec": {"source": {"repoURL": REPO}}})
    stack.app(bystander)
    stack.env |= {
        "BOSUN_TICK_SECONDS": "0.3",
        "BOSUN_REFRESH_JITTER_SECONDS": "0",
        "BOSUN_REFRESH_INTERVAL_SECONDS": "600",
    }
    stack.worker("w1", concurrency=2)
    for n in range(2):
        (tmp_path / f"beat{n}").mkdir()
        stack.processes.append(
            start_beat(stack.env, tmp_path / f"beat{n}" / "beat.log", tmp_path / f"beat{n}")
        )
    calls = lambda n: stack.probe(rclient, "calls", "refresh", n)  # noqa: E731
    wait_for(lambda: all(calls(n) == 1 for n in [*names, bystander]), 60, "beat slot refreshes")
    settings = stack.settings.model_copy(update={"webhook_github_secret": SecretStr(SECRET)})
    queue_key = f"{stack.settings.redis_prefix}:celery:refresh"
    peak_refreshes = 0
    codes: dict[int, int] = {}
    with api_server(settings, stack.registry) as url, httpx.Client(base_url=url, timeout=30) as client:
        headers, body = push("dup-1", "a" * 40)
        first, again = client.post("/api/webhook", headers=headers, content=body), client.post(
            "/api/webhook", headers=headers, content=body)  # fmt: skip
        assert first.json()["status"] == "queued" and again.json()["status"] == "duplicate"
        for i in range(1000):
            headers, body = push(f"burst-{i}", "b" * 40)
            code = client.post("/api/webhook", headers=headers, content=body).status_code
            codes[code] = codes.get(code, 0) + 1
            if i % 50 == 0:
                queued = [m for m in rclient.lrange(queue_key, 0, -1) if '"bosun.refresh"' in m]
                peak_refreshes = max(peak_refreshes, len(queued))
        assert client.get("/healthz").status_code == 200
    assert set(codes) <= {200, 429, 503}, codes
    assert peak_refreshes <= len(names) + 1
    wait_for(lambda: rclient.llen(queue_key) == 0, 120, "queues drained")
    time.sleep(1.0)
    counts = {n: calls(n) for n in names}
    assert all(2 <= c <= 6 for c in counts.values()), counts
    assert calls(bystander) == 1
    assert int(rclient.info("memory")["used_memory"]) < 64 * 1024 * 1024
    print(f"answers {codes}, peak queued refreshes {peak_refreshes}, refreshes per app {counts}")
