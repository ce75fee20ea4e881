"""Builds signed webhook requests (headers + body) for each provider, as the providers send them."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"


def body_of(fixture: str) -> bytes:
    return (FIXTURES / fixture).read_bytes()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_headers(provider: str, secret: str, body: bytes, event: str | None = None) -> dict[str, str]:
    """Headers a provider sends for `body`, signed with `secret` (empty = unsigned)."""
    delivery = str(uuid.uuid4())
    base = {"Content-Type": "application/json"}
    if provider == "github":
        base |= {"X-GitHub-Event": event or "push", "X-GitHub-Delivery": delivery}
        if secret:
            base["X-Hub-Signature-256"] = "sha256=" + sign(secret, body)
    elif provider == "gitea":
        base |= {"X-Gitea-Event": event or "push", "X-Gitea-Delivery": delivery,
                 "X-Gogs-Event": event or "push", "X-GitHub-Event": event or "push"}  # fmt: skip
        if secret:
            base["X-Gitea-Signature"] = sign(secret, body)
    elif provider == "gogs":
        base |= {"X-Gogs-Event": event or "push", "X-Gogs-Delivery": delivery}
        if secret:
            base["X-Gogs-Signature"] = sign(secret, body)
    elif provider == "gitlab":
        base |= {"X-Gitlab-Event": event or "Push Hook", "X-Gitlab-Event-UUID": delivery}
        if secret:
            base["X-Gitlab-Token"] = secret
    elif provider == "bitbucket":
        base |= {
            "X-Event-Key": event or "repo:push",
            "X-Request-UUID": delivery,
            "X-Hook-UUID": secret or "{hook}",
        }
    elif provider == "bitbucketserver":
        base |= {"X-Event-Key": event or "repo:refs_changed", "X-Request-Id": delivery}
        if secret:
            base["X-Hub-Signature"] = "sha256=" + sign(secret, body)
    else:
        raise ValueError(provider)
    return base


PUSH_FIXTURES = {
    "github": "github-push-main.json",
    "gitlab": "gitlab-push-main.json",
    "gitea": "gitea-push-main.json",
    "gogs": "gogs-push-main.json",
    "bitbucket": "bitbucket-push-main.json",
    "bitbucketserver": "bitbucketserver-refs-changed-main.json",
}
