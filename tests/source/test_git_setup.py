"""build_git_source: settings (BOSUN_ variables) and Secrets wired into a working resolver and mirrors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitserver import GitServer

from gitops.cache import MemoryCache
from gitops.settings import Settings
from gitops.source.git_setup import build_git_source
from gitops.source.revisions import Resolved


def test_settings_and_secrets_drive_resolution_and_fetching(
    git_server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = git_server.create_repo("private", private=True)
    sha = repo.commit({"app/cm.yaml": "kind: ConfigMap\n"})
    url = git_server.url("private")
    monkeypatch.setenv("BOSUN_GIT_CACHE_DIR", str(tmp_path / "git-cache"))
    monkeypatch.setenv("BOSUN_REVISION_CACHE_SECONDS", "60")
    monkeypatch.setenv("BOSUN_MANIFEST_CACHE_HMAC_KEY", "hmac-key-for-tests")
    prefix = url.rsplit("/", 1)[0] + "/"
    monkeypatch.setenv(
        "BOSUN_GIT_CREDENTIALS",
        json.dumps([{"url": prefix, "kind": "repo-creds", "password": git_server.token}]),
    )
    settings = Settings()
    assert git_server.token not in repr(settings)

    cache = MemoryCache()
    bad_secret = {
        "metadata": {"name": "bad", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {},
    }
    source = build_git_source(settings, cache, secrets=[bad_secret])
    assert source.credentials.problems and "url" in source.credentials.problems[0]
    creds = source.credentials.for_url(url)
    assert creds is not None and creds.password == git_server.token

    resolved = source.resolver.resolve(url, "HEAD", creds=creds)
    assert resolved.sha == sha
    snapshot = source.mirrors.snapshot(url, resolved.sha, creds)
    assert snapshot.is_relative_to(tmp_path / "git-cache")
    assert source.metrics.value("git_requests_total", type="ls-remote") == 1
    assert source.metrics.value("git_requests_total", type="fetch") == 1

    middle = repo.commit({"app/cm.yaml": "kind: ConfigMap\nv: 2\n"})
    repo.commit({"app/cm.yaml": "kind: ConfigMap\nv: 3\n"})
    forced = source.resolver.resolve(url, middle[:8], force=True, creds=creds)
    assert forced == Resolved(middle, "", "commit")  # an abbreviated SHA comes back full
    stored = [key for key in cache._items if key.startswith("bosun:rev:")]  # authenticated entries
    assert stored and all(len(cache.get(key) or b"") > 64 for key in stored)
