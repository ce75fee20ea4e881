"""Which Git host sent a webhook, which event it is, and its delivery id: from headers alone.

Order follows Argo CD: Gitea also sends X-Gogs-Event and X-GitHub-Event, and Gogs also sends
X-GitHub-Event-like headers, so the more specific providers are checked first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gitops.errors import WebhookPayloadError

GITHUB = "github"
GITLAB = "gitlab"
GITEA = "gitea"
GOGS = "gogs"
BITBUCKET = "bitbucket"
BITBUCKET_SERVER = "bitbucketserver"
PROVIDERS = (GITHUB, GITLAB, GITEA, GOGS, BITBUCKET, BITBUCKET_SERVER)

# (provider, event header, delivery-id header)
_DETECTION = (
    (GITEA, "x-gitea-event", "x-gitea-delivery"),
    (GOGS, "x-gogs-event", "x-gogs-delivery"),
    (GITHUB, "x-github-event", "x-github-delivery"),
    (GITLAB, "x-gitlab-event", "x-gitlab-event-uuid"),
)


@dataclass(frozen=True)
class Delivery:
    """Provider, event name and delivery id (None when the provider sends none) of one request."""

    provider: str
    event: str
    delivery_id: str | None


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def detect(headers: Mapping[str, str]) -> Delivery:
    """The delivery's provider and event; WebhookPayloadError when no known provider header is set."""
    h = lower_headers(headers)
    for provider, event_header, id_header in _DETECTION:
        if event_header in h:
            return Delivery(provider, h[event_header].strip(), h.get(id_header) or h.get("idempotency-key"))
    if "x-hook-uuid" in h:
        return Delivery(BITBUCKET, h.get("x-event-key", "").strip(), h.get("x-request-uuid"))
    if "x-event-key" in h:
        return Delivery(BITBUCKET_SERVER, h["x-event-key"].strip(), h.get("x-request-id"))
    raise WebhookPayloadError(
        "unknown webhook provider",
        target="POST /api/webhook",
        hint="send a GitHub, GitLab, Gitea, Gogs, Bitbucket Cloud or Bitbucket Server push event",
    )
