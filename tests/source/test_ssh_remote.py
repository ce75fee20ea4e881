"""Git over SSH end to end: a real sshd (tests/source/ssh_server.py) serving the bare repositories of
the `git_server` fixture through git-upload-pack, Applications whose repoURL is `ssh://user@host:port/..`
or scp-like `user@[host:port]:path`, and an Argo CD repository Secret carrying `sshPrivateKey`.

Checked: Bosun's source service (wired by `build_git_source` as the workers do) resolves and renders
them; host keys are handled as Argo CD does (`insecure: "true"` skips checking; otherwise the
`BOSUN_SSH_KNOWN_HOSTS_FILE` known_hosts, Bosun's counterpart of argocd-ssh-known-hosts-cm, must hold
the server's key, else a GitError names the setting); the URL's user is the SSH login name; a key the
server refuses is a GitAuthError; and the private key appears in no argv, environment value, log,
error, or file left behind (the git cache, /dev/shm, the temp directory).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from gitserver import GitServer, WorkRepo
from service_support import application, service_settings
from ssh_server import SSHServer, keygen, start_sshd

from gitops.cache import MemoryCache
from gitops.errors import GitAuthError, GitError
from gitops.source.git_setup import build_git_source
from gitops.source.service import SourceService

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-ssh\ndata:\n  via: ssh\n"


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path / "sshd")
    yield server
    server.stop()


@pytest.fixture
def repo(git_server: GitServer) -> WorkRepo:
    work = git_server.create_repo("apps")
    work.commit({"app/cm.yaml": CONFIGMAP})
    return work


@pytest.fixture
def git_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    """Every git command run through GitPython: (argv, environment overrides)."""
    calls: list[tuple[list[str], dict[str, str]]] = []
    original = git.cmd.Git.execute

    def spy(self: git.cmd.Git, command: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(([str(c) for c in command], dict(kwargs.get("env") or {})))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(git.cmd.Git, "execute", spy)
    return calls


def ssh_url(sshd: SSHServer, repo: WorkRepo, form: str = "url", user: str | None = None) -> str:
    login = user or sshd.user
    if form == "scp":
        return f"{login}@[127.0.0.1:{sshd.port}]:{repo.bare}"
    return f"ssh://{login}@127.0.0.1:{sshd.port}{repo.bare}"


def repository_secret(url: str, key: str, **fields: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "repo-ssh",
            "namespace": "bosun",
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {"url": url, "sshPrivateKey": key, **fields},
    }


def service(tmp_path: Path, secrets: list[dict[str, Any]], **settings: Any) -> SourceService:
    """The source service as a worker wires it: build_git_source + the Secrets' credential store."""
    config = service_settings(tmp_path / "host", **settings)
    cache = MemoryCache()
    git_source = build_git_source(config, cache, secrets)
    assert git_source.credentials.problems == []
    return SourceService(
        git_source.resolver, git_source.mirrors, cache, config,
        credentials=git_source.credentials, metrics=git_source.metrics,
    )  # fmt: skip


def ssh_app(url: str) -> Any:
    return application("over-ssh", {"repoURL": url, "path": "app", "targetRevision": "main"})


def key_lines(key: str) -> list[str]:
    """Lines of the key's base64 body unique to it (the first ones are a header common to all keys)."""
    body = [line for line in key.splitlines() if line and not line.startswith("-----")]
    return body[2:-1]


def private_key_files(key: str, roots: list[Path]) -> list[Path]:
    """Files under `roots` holding any private line of `key`."""
    lines = [line.encode() for line in key_lines(key)]
    found = []
    for root in roots:
        for path in root.rglob("*") if root.is_dir() else ():
            try:
                if path.is_file() and not path.is_symlink() and any(b in path.read_bytes() for b in lines):
                    found.append(path)
            except OSError:
                continue
    return found


def leftover_roots() -> list[Path]:
    """Where git_auth_env's private directories live: /dev/shm if writable, else the temp directory."""
    shm = Path("/dev/shm")
    roots = [shm] if shm.is_dir() and os.access(shm, os.W_OK) else []
    return roots + sorted(Path(tempfile.gettempdir()).glob("bosun-git-*"))


def assert_key_nowhere(
    key: str, calls: list[tuple[list[str], dict[str, str]]], caplog: pytest.LogCaptureFixture, *paths: Path
) -> None:
    assert calls, "git was not run"
    for body in key_lines(key):
        for argv, env in calls:
            assert all(body not in part for part in argv)
            assert all(body not in value for value in env.values())
        assert body not in caplog.text
    assert private_key_files(key, [*leftover_roots(), *paths]) == []


@pytest.mark.parametrize("form", ["url", "scp"])
def test_ssh_key_from_repository_secret_resolves_and_renders(
    sshd: SSHServer,
    repo: WorkRepo,
    tmp_path: Path,
    form: str,
    git_calls: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = ssh_url(sshd, repo, form)
    source = service(tmp_path, [repository_secret(url, sshd.client_key, insecure="true")])
    state = source.desired_state(ssh_app(url), force=True)
    assert state.revisions == (repo.head(),)
    assert [(o["kind"], o["metadata"]["name"], o["data"]) for o in state.objects] == [
        ("ConfigMap", "over-ssh", {"via": "ssh"})
    ]
    fingerprint = sshd.client_key_pub.split()[1]
    assert f"Accepted publickey for {sshd.user} from 127.0.0.1" in sshd.log_text()
    assert fingerprint not in sshd.log_text()  # (the log names it by its SHA256 fingerprint)
    ssh_commands = [env.get("GIT_SSH_COMMAND", "") for _argv, env in git_calls]
    assert any("StrictHostKeyChecking=no" in c and "IdentitiesOnly=yes" in c for c in ssh_commands)
    assert_key_nowhere(sshd.client_key, git_calls, caplog, tmp_path / "host")


def test_known_hosts_file_is_checked_unless_insecure(
    sshd: SSHServer, repo: WorkRepo, tmp_path: Path, git_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = ssh_url(sshd, repo)
    secret = [repository_secret(url, sshd.client_key)]
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    trusted = service(tmp_path / "trusted", secret, ssh_known_hosts_file=str(known))
    assert trusted.desired_state(ssh_app(url), force=True).revisions == (repo.head(),)

    other = tmp_path / "other_known_hosts"  # another key for the same host:port (a changed host key)
    other.write_text(f"[127.0.0.1]:{sshd.port} {' '.join(ssh_key_pub_of_new_key(tmp_path).split()[:2])}\n")
    for name, extra in (("changed", {"ssh_known_hosts_file": str(other)}), ("unset", {})):
        with pytest.raises(GitError) as caught:
            service(tmp_path / name, secret, **extra).desired_state(ssh_app(url), force=True)
        text = str(caught.value)
        assert not isinstance(caught.value, GitAuthError)
        assert f"repository ssh://127.0.0.1:{sshd.port}{repo.bare}" in text
        assert "host key is not in the known hosts or has changed" in text
        assert "BOSUN_SSH_KNOWN_HOSTS_FILE" in text and 'insecure: "true"' in text
        if name == "changed":
            assert str(other) in text
    assert "Accepted publickey" in sshd.log_text()
    assert_key_nowhere(
        sshd.client_key, git_calls, caplog, *(tmp_path / d for d in ("trusted", "changed", "unset"))
    )


def ssh_key_pub_of_new_key(tmp_path: Path) -> str:
    """The public half of a fresh ed25519 key (a host key this server does not have)."""
    path = tmp_path / "unrelated_host_key"
    keygen(path, "unrelated-host")
    return (tmp_path / "unrelated_host_key.pub").read_text()


def test_url_user_is_the_ssh_login_and_a_refused_key_is_an_auth_error(
    sshd: SSHServer, repo: WorkRepo, tmp_path: Path, git_calls: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = ssh_url(sshd, repo, user="git")  # as on GitHub; no such user here, and sshd says so
    with pytest.raises(GitAuthError) as caught:
        service(
            tmp_path / "git-user", [repository_secret(url, sshd.client_key, insecure="true")]
        ).desired_state(ssh_app(url), force=True)
    assert "Invalid user git from 127.0.0.1" in sshd.log_text()
    assert "permission denied (publickey" in str(caught.value).lower()
    assert "repository or repo-creds Secret" in str(caught.value)

    stranger = tmp_path / "stranger"
    keygen(stranger, "stranger")
    stranger_key = stranger.read_text()
    url = ssh_url(sshd, repo)
    with pytest.raises(GitAuthError) as refused:
        service(
            tmp_path / "stranger-host", [repository_secret(url, stranger_key, insecure="true")]
        ).desired_state(ssh_app(url), force=True)
    assert f"repository ssh://127.0.0.1:{sshd.port}{repo.bare}" in str(refused.value)
    for key in (sshd.client_key, stranger_key):
        for body in key_lines(key):
            assert body not in str(caught.value) and body not in str(refused.value)
    stranger.unlink()
    assert_key_nowhere(sshd.client_key, git_calls, caplog, tmp_path / "git-user", tmp_path / "stranger-host")
    assert_key_nowhere(stranger_key, git_calls, caplog, tmp_path / "git-user", tmp_path / "stranger-host")
