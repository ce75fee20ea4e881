"""Webhook detection, verification and parsing for every provider (pure; no server)."""

from __future__ import annotations

import pytest

from gitops.errors import WebhookAuthError, WebhookPayloadError
from gitops.source.repo_url import normalize
from gitops.triggers.event import PushEvent
from scheduler.webhooks.payloads import Ignored, Ping, interpret
from scheduler.webhooks.verify import WebhookSecrets

from .webhook_requests import PUSH_FIXTURES, body_of, signed_headers

SECRET = "s3cret-webhook-marker"
ALL_SECRETS = WebhookSecrets(
    github=SECRET, gitlab=SECRET, gitea=SECRET, gogs=SECRET, bitbucket=SECRET, bitbucketserver=SECRET
)


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_signed_push_of_every_provider_parses(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    delivery, parsed = interpret(signed_headers(provider, SECRET, body), body, ALL_SECRETS)
    assert delivery.provider == provider
    assert delivery.delivery_id
    assert isinstance(parsed, PushEvent)
    assert parsed.refs == ("refs/heads/main",)
    assert parsed.after == "2" * 40
    host = {"github": "github.com", "bitbucket": "bitbucket.org"}.get(provider, f"{provider}.example.com")
    if provider == "bitbucketserver":
        host = "bitbucket.example.com"
    assert any(normalize(url).startswith(host + "/") for url in parsed.repo_urls)


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_wrong_secret_is_rejected(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    headers = signed_headers(provider, "another-secret", body)
    with pytest.raises(WebhookAuthError) as caught:
        interpret(headers, body, ALL_SECRETS)
    assert SECRET not in str(caught.value)
    assert "another-secret" not in str(caught.value)


@pytest.mark.parametrize("provider", ["github", "gitea", "gogs", "bitbucketserver"])
def test_body_changed_after_signing_is_rejected(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    headers = signed_headers(provider, SECRET, body)
    with pytest.raises(WebhookAuthError):
        interpret(headers, body.replace(b"main", b"evil"), ALL_SECRETS)


@pytest.mark.parametrize("provider", ["github", "gitea", "gogs", "gitlab", "bitbucketserver"])
def test_missing_signature_when_secret_set_is_rejected(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    with pytest.raises(WebhookAuthError, match="missing"):
        interpret(signed_headers(provider, "", body), body, ALL_SECRETS)


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [
        ("github", "X-Hub-Signature-256", "sha1=abcdef"),
        ("github", "X-Hub-Signature-256", "sha256=not-hex-at-all"),
        ("github", "X-Hub-Signature-256", "sha256=" + "a" * 63),
        ("gitea", "X-Gitea-Signature", "zz" * 32),
        ("gogs", "X-Gogs-Signature", "sha256=" + "a" * 64),
        ("bitbucketserver", "X-Hub-Signature", "a" * 64),
    ],
)
def test_garbled_signature_header_is_rejected(provider: str, header: str, value: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    headers = signed_headers(provider, SECRET, body) | {header: value}
    with pytest.raises(WebhookAuthError, match="malformed"):
        interpret(headers, body, ALL_SECRETS)


@pytest.mark.parametrize("provider", sorted(PUSH_FIXTURES))
def test_unsigned_accepted_when_no_secret_configured(provider: str) -> None:
    body = body_of(PUSH_FIXTURES[provider])
    _delivery, parsed = interpret(signed_headers(provider, "", body), body, WebhookSecrets())
    assert isinstance(parsed, PushEvent)


def test_changed_files_collected_from_commits() -> None:
    body = body_of("github-push-main.json")
    _d, parsed = interpret(signed_headers("github", SECRET, body), body, ALL_SECRETS)
    assert isinstance(parsed, PushEvent)
    assert set(parsed.changed_paths or ()) == {
        "apps/web/new.yaml",
        "apps/web/deployment.yaml",
        "README.md",
        "apps/old/x.yaml",
    }
    assert parsed.default_branch == "main"


def test_truncated_gitlab_commit_list_means_unknown_changes() -> None:
    body = body_of("gitlab-push-truncated-commits.json")
    _d, parsed = interpret(signed_headers("gitlab", SECRET, body), body, ALL_SECRETS)
    assert isinstance(parsed, PushEvent) and parsed.changed_paths is None


def test_gitlab_tag_push() -> None:
    body = body_of("gitlab-tag-push.json")
    _d, parsed = interpret(signed_headers("gitlab", SECRET, body, event="Tag Push Hook"), body, ALL_SECRETS)
    assert isinstance(parsed, PushEvent) and parsed.refs == ("refs/tags/v1.4.0",)


def test_github_form_encoded_payload() -> None:
    from urllib.parse import quote

    body = b"payload=" + quote(body_of("github-push-main.json").decode()).encode()
    headers = signed_headers("github", SECRET, body)
    _d, parsed = interpret(headers, body, ALL_SECRETS, "application/x-www-form-urlencoded")
    assert isinstance(parsed, PushEvent) and parsed.refs == ("refs/heads/main",)


def test_github_ping_is_a_ping_and_still_verified() -> None:
    body = body_of("github-ping.json")
    _d, parsed = interpret(signed_headers("github", SECRET, body, event="ping"), body, ALL_SECRETS)
    assert parsed == Ping("github")
    with pytest.raises(WebhookAuthError):
        interpret(signed_headers("github", "wrong", body, event="ping"), body, ALL_SECRETS)


def test_bitbucket_server_diagnostics_ping() -> None:
    headers = {"X-Event-Key": "diagnostics:ping", "X-Request-Id": "abc"}
    _d, parsed = interpret(headers, b"", ALL_SECRETS)
    assert parsed == Ping("bitbucketserver")


@pytest.mark.parametrize(
    ("provider", "event"), [("github", "issues"), ("gitlab", "Merge Request Hook"), ("gitea", "pull_request"),
                            ("bitbucket", "pullrequest:created"), ("bitbucketserver", "pr:opened")],
)  # fmt: skip
def test_unknown_event_is_ignored(provider: str, event: str) -> None:
    body = b'{"action": "opened"}'
    _d, parsed = interpret(signed_headers(provider, SECRET, body, event=event), body, ALL_SECRETS)
    assert parsed == Ignored(provider, event)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"ref": "refs/heads/main"}', b"\xff\xfe"])
def test_malformed_push_payload_is_a_payload_error(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        interpret(signed_headers("github", SECRET, body), body, ALL_SECRETS)


def test_no_provider_header_is_a_payload_error() -> None:
    with pytest.raises(WebhookPayloadError, match="unknown webhook provider"):
        interpret({"Content-Type": "application/json"}, b"{}", ALL_SECRETS)


def test_gitea_is_detected_before_github_headers_it_also_sends() -> None:
    body = body_of("gitea-push-main.json")
    delivery, _ = interpret(signed_headers("gitea", SECRET, body), body, ALL_SECRETS)
    assert delivery.provider == "gitea"


def test_secrets_repr_hides_values() -> None:
    assert SECRET not in repr(ALL_SECRETS)
