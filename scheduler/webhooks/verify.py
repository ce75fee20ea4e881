"""Signature and token checks of webhook deliveries, in constant time.

GitHub `X-Hub-Signature-256: sha256=<hex>`, Bitbucket Server `X-Hub-Signature: sha256=<hex>`, Gitea
`X-Gitea-Signature: <hex>`, Gogs `X-Gogs-Signature: <hex>` (all HMAC-SHA256 of the raw body);
GitLab `X-Gitlab-Token` equal to the secret; Bitbucket Cloud `X-Hook-UUID` equal to the configured
UUID. A provider with no secret configured is accepted unsigned (as Argo CD does). Messages never
contain the secret or the received signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gitops.errors import WebhookAuthError
from scheduler.webhooks.providers import (
    BITBUCKET,
    BITBUCKET_SERVER,
    GITEA,
    GITHUB,
    GITLAB,
    GOGS,
    Delivery,
    lower_headers,
)

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True, repr=False)
class WebhookSecrets:
    """Per-provider secrets (empty string = not configured). repr never shows them."""

    github: str = ""
    gitlab: str = ""
    gitea: str = ""
    gogs: str = ""
    bitbucket: str = ""
    bitbucketserver: str = ""

    def for_provider(self, provider: str) -> str:
        return str(getattr(self, provider, ""))

    def __repr__(self) -> str:
        configured = [
            p for p in (GITHUB, GITLAB, GITEA, GOGS, BITBUCKET, BITBUCKET_SERVER) if self.for_provider(p)
        ]
        return f"WebhookSecrets(configured={configured})"


# provider -> (header, required prefix or "" for bare hex)
_HMAC_HEADERS = {
    GITHUB: ("x-hub-signature-256", "sha256="),
    BITBUCKET_SERVER: ("x-hub-signature", "sha256="),
    GITEA: ("x-gitea-signature", ""),
    GOGS: ("x-gogs-signature", ""),
}
_TOKEN_HEADERS = {GITLAB: "x-gitlab-token", BITBUCKET: "x-hook-uuid"}


def _fail(delivery: Delivery, header: str, problem: str) -> WebhookAuthError:
    return WebhookAuthError(
        f"{delivery.provider} webhook {problem}",
        target=f"header {header}",
        hint=f"set the same secret in the {delivery.provider} webhook and BOSUN_WEBHOOK_{delivery.provider.upper()}_*",
    )


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(delivery: Delivery, headers: Mapping[str, str], body: bytes, secrets: WebhookSecrets) -> None:
    """Raise WebhookAuthError unless the delivery is authentic (or its provider has no secret)."""
    secret = secrets.for_provider(delivery.provider)
    if not secret:
        return
    h = lower_headers(headers)
    if delivery.provider in _HMAC_HEADERS:
        header, prefix = _HMAC_HEADERS[delivery.provider]
        received = h.get(header)
        if received is None or not received.strip():
            raise _fail(delivery, header, "signature missing")
        received = received.strip()
        if prefix:
            if not received.lower().startswith(prefix):
                raise _fail(delivery, header, f"signature malformed (expected {prefix}<hex>)")
            received = received[len(prefix) :]
        if not _HEX64.match(received):
            raise _fail(delivery, header, "signature malformed (expected 64 hex digits)")
        expected = hmac_sha256_hex(secret, body)
        if not hmac.compare_digest(expected.encode(), received.lower().encode()):
            raise _fail(delivery, header, "signature does not match the body")
        return
    header = _TOKEN_HEADERS[delivery.provider]
    received = h.get(header)
    if received is None or not received:
        raise _fail(delivery, header, "token missing")
    if not hmac.compare_digest(secret.encode(), received.encode()):
        raise _fail(delivery, header, "token does not match")
