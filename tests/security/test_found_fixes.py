"""Unit tests of the two fixes the security suite led to (pure code, no processes)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.errors import WebhookPayloadError
from scheduler.api.applications import _without_url_credentials
from scheduler.webhooks.payloads import load_json
from scheduler.webhooks.providers import Delivery

DELIVERY = Delivery("github", "push", "d-1")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_webhook_body_with_a_non_json_content_type_is_refused(content_type: str) -> None:
    with pytest.raises(WebhookPayloadError, match="content type"):
        load_json(DELIVERY, b'{"ref": "refs/heads/main"}', content_type)


@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=utf-8",
                                          "application/vnd.github+json"])  # fmt: skip
def test_webhook_json_content_types_are_read(content_type: str | None) -> None:
    assert load_json(DELIVERY, b'{"ref": "refs/heads/main"}', content_type) == {"ref": "refs/heads/main"}


def test_api_answers_drop_repo_url_credentials() -> None:
    app: dict[str, Any] = {"metadata": {"name": "a"},
           "spec": {"source": {"repoURL": "https://bob:s3cret@git.example/a.git", "path": "."},
                    "sources": [{"repoURL": "https://x-access-token:tok@git.example/b.git"}, "odd"]}}  # fmt: skip
    shown = _without_url_credentials(app)
    assert shown["spec"]["source"] == {"repoURL": "https://git.example/a.git", "path": "."}
    assert shown["spec"]["sources"][0]["repoURL"] == "https://git.example/b.git"
    assert "s3cret" in app["spec"]["source"]["repoURL"]  # the stored resource is left as written
