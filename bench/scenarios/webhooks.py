"""Signed GitHub push webhooks for the scenarios: commit a change to one app's path, post the push."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx

from bench.scenarios.fleet import REPO_NAME, Fleet, app_name, configmap


def push_change(fleet: Fleet, i: int, version: str) -> tuple[str, str, str]:
    """Commit a new version of app i's ConfigMap; returns (before, after, changed path)."""
    before = fleet.head
    path = f"apps/{app_name(i)}/objects.yaml"
    fleet.head = fleet.commit(f"app {i} version {version}", {path: configmap(i, version)})
    return before, fleet.head, path


def post_push(client: httpx.Client, fleet: Fleet, before: str, after: str, path: str) -> tuple[int, float]:
    """POST the signed push event; returns (HTTP status, seconds the API took to answer)."""
    url = fleet.stack.git_url(REPO_NAME)
    commit = {"id": after, "message": "change", "added": [], "modified": [path], "removed": []}
    payload = {
        "ref": "refs/heads/main", "before": before, "after": after, "created": False, "deleted": False,
        "repository": {"name": REPO_NAME, "full_name": f"bench/{REPO_NAME}", "html_url": url, "clone_url": url,
                       "git_url": url, "default_branch": "main"},
        "pusher": {"name": "bench"}, "commits": [commit], "head_commit": commit,
    }  # fmt: skip
    body = json.dumps(payload).encode()
    signature = hmac.new(fleet.stack.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
               "X-Hub-Signature-256": f"sha256={signature}"}  # fmt: skip
    started = time.perf_counter()
    response = client.post(
        f"http://127.0.0.1:{fleet.stack.api_port}/api/webhook", content=body, headers=headers
    )
    return response.status_code, time.perf_counter() - started
