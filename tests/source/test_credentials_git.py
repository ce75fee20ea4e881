"""Credentials against a real authenticating git http-backend: basic, token, URL userinfo, wrong, missing.

The password or token must appear nowhere: not in git's argv or environment values, exception
text, or captured logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from gitserver import GitServer

from gitops.cache import MemoryCache
from gitops.errors import GitAuthError
from gitops.source.credentials import CredentialStore, RepoCredentials
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.revisions import RevisionResolver


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[list[str], dict[str, str]]]]:
    """Every git command run through GitPython: (argv, environment overrides)."""
    calls: list[tuple[list[str], dict[str, str]]] = []
    original = git.cmd.Git.execute

    def spy(self: git.cmd.Git, command: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(([str(c) for c in command], dict(kwargs.get("env") or {})))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(git.cmd.Git, "execute", spy)
    yield calls


def _assert_nowhere(
    secret: str, calls: list[tuple[list[str], dict[str, str]]], caplog: pytest.LogCaptureFixture
) -> None:
    assert calls, "git was not run"
    for argv, env in calls:
        assert all(secret not in part for part in argv)
        assert all(secret not in value for value in env.values())
    assert secret not in caplog.text


def _private_repo(server: GitServer) -> str:
    repo = server.create_repo("private", private=True)
    repo.commit({"app/cm.yaml": "kind: ConfigMap\n"})
    return repo.head()


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_secret_credentials_resolve_and_fetch(
    git_server: GitServer, tmp_path: Path, kind: str, git_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sha = _private_repo(git_server)
    url = git_server.url("private")
    secret_value = git_server.password if kind == "basic" else git_server.token
    secret = {
        "metadata": {
            "name": "repo",
            "namespace": "bosun",
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {
            "url": url,
            "password": secret_value,
            **({"username": git_server.username} if kind == "basic" else {}),
        },
    }
    creds = CredentialStore.from_secrets([secret]).for_url(url)
    assert creds is not None
    assert RevisionResolver(MemoryCache(), GitRemote(), 180).resolve(url, "main", creds=creds).sha == sha
    snapshot = Mirrors(tmp_path / "cache", 10**9, 3600).snapshot(url, sha, creds)
    assert (snapshot / "app" / "cm.yaml").read_text() == "kind: ConfigMap\n"
    _assert_nowhere(secret_value, git_calls, caplog)


def test_url_userinfo_credentials_work_and_never_reach_argv(
    git_server: GitServer, tmp_path: Path, git_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sha = _private_repo(git_server)
    url = git_server.url("private", auth="basic")
    assert RevisionResolver(MemoryCache(), GitRemote(), 180).resolve(url, "HEAD").sha == sha
    assert Mirrors(tmp_path / "cache", 10**9, 3600).snapshot(url, sha).is_dir()
    _assert_nowhere(git_server.password, git_calls, caplog)


def test_wrong_password_is_a_clear_error_without_the_password(
    git_server: GitServer, tmp_path: Path, git_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sha = _private_repo(git_server)
    wrong = "wrong-Pa55-" + git_server.password[::-1]
    creds = RepoCredentials(username=git_server.username, password=wrong)
    with pytest.raises(GitAuthError) as info:
        GitRemote().ls_remote(git_server.url("private"), creds)
    text = str(info.value)
    assert "authentication failed" in text and "private.git" in text and "credentials" in text
    with pytest.raises(GitAuthError) as fetch_info:
        Mirrors(tmp_path / "cache", 10**9, 3600).snapshot(git_server.url("private"), sha, creds)
    with pytest.raises(GitAuthError) as url_info:  # wrong password inside the URL
        GitRemote().ls_remote(git_server.url("private").replace("http://", f"http://alice:{wrong}@"))
    for error in (info.value, fetch_info.value, url_info.value):
        assert wrong not in str(error) and wrong not in repr(error.args)
    _assert_nowhere(wrong, git_calls, caplog)


def test_missing_credentials_say_what_to_do(git_server: GitServer) -> None:
    _private_repo(git_server)
    with pytest.raises(GitAuthError, match="repo-creds Secret"):
        GitRemote().ls_remote(git_server.url("private"))
