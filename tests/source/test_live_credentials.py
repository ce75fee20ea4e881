"""RefreshingCredentials: Secrets re-listed after the TTL, the last good listing kept on failure."""

from __future__ import annotations

from typing import Any

from gitops.source.credentials import CredentialStore
from gitops.source.live_credentials import RefreshingCredentials

URL = "https://git.example/org/app.git"


def _secret(password: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "repo", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {"url": URL, "username": "u", "password": password},
    }


def test_secrets_are_relisted_after_the_ttl_and_kept_when_listing_fails() -> None:
    now = [0.0]
    listed: list[Any] = [[]]

    def list_secrets() -> list[dict[str, Any]]:
        if isinstance(listed[0], Exception):
            raise listed[0]
        return list(listed[0])

    fallback = CredentialStore.from_settings('[{"url": "https://other.example/x.git", "password": "s"}]')
    creds = RefreshingCredentials(list_secrets, fallback, ttl=5, clock=lambda: now[0])
    assert creds.for_url(URL) is None
    listed[0] = [_secret("one")]
    now[0] = 4.9
    assert creds.for_url(URL) is None  # still the listing held
    now[0] = 5.0
    found = creds.for_url(URL)
    assert found is not None and found.password == "one"
    listed[0] = RuntimeError("API server down")
    now[0] = 11.0
    found = creds.for_url(URL)
    assert found is not None and found.password == "one"
    assert creds.for_url("https://other.example/x.git") is not None  # the settings still apply
