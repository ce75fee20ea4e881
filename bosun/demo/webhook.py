"""A GitHub push webhook for a commit of the demo repository, signed as GitHub signs it
(`X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)`), posted to Bosun's `/api/webhook`."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx


def push_payload(repo_url: str, before: str, after: str, changed: list[str], message: str) -> bytes:
    commit = {"id": after, "message": message, "added": [], "removed": [], "modified": changed}
    payload = {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "repository": {
            "name": "examples",
            "full_name": "demo/examples",
            "html_url": repo_url,
            "clone_url": repo_url,
            "git_url": repo_url,
            "default_branch": "main",
        },
        "commits": [commit],
        "head_commit": commit,
        "pusher": {"name": "bosun-demo"},
    }
    return json.dumps(payload).encode()


def post_push(api_url: str, secret: str, body: bytes) -> httpx.Response:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={signature}",
    }
    return httpx.post(f"{api_url}/api/webhook", content=body, headers=headers, timeout=10)
