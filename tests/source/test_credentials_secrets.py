"""Credentials from Argo CD repository / repo-creds Secrets and settings; how git receives them."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

from gitops.source.credentials import CredentialStore, RepoCredentials, with_url_credentials
from gitops.source.git_auth import git_auth_env

PASSWORD = "s3cret-pass-Z9"
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA-fake-key-material\n-----END OPENSSH PRIVATE KEY-----"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(
    name: str, kind: str, data: dict[str, str] | None = None, string_data: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "bosun", "labels": {"argocd.argoproj.io/secret-type": kind}},
        "data": {k: _b64(v) for k, v in (data or {}).items()},
        "stringData": string_data or {},
    }


def test_repository_secret_matches_any_spelling_of_its_url() -> None:
    store = CredentialStore.from_secrets(
        [
            _secret(
                "repo",
                "repository",
                {"url": "https://git.example.com/org/app.git", "username": "bob", "password": PASSWORD},
            )
        ]
    )
    for spelling in (
        "https://git.example.com/org/app",
        "https://GIT.example.com/org/app.git/",
        "git@git.example.com:org/app.git",
    ):
        creds = store.for_url(spelling)
        assert creds is not None and creds.username == "bob" and creds.password == PASSWORD, spelling
    assert store.for_url("https://git.example.com/org/other") is None


def test_repo_creds_longest_prefix_wins_and_repository_inherits_credentials() -> None:
    store = CredentialStore.from_secrets(
        [
            _secret(
                "org",
                "repo-creds",
                string_data={"url": "https://git.example.com/org", "password": "org-token"},
            ),
            _secret(
                "team",
                "repo-creds",
                string_data={"url": "https://git.example.com/org/team", "password": "team-token"},
            ),
            _secret(
                "bare",
                "repository",
                string_data={"url": "https://git.example.com/org/team/app", "insecure": "true"},
            ),
            _secret(
                "helm",
                "repo-creds",
                string_data={"url": "https://git.example.com/", "type": "helm", "password": "x"},
            ),
            {
                "metadata": {"name": "unrelated", "labels": {}},
                "data": {"url": _b64("https://git.example.com/")},
            },
        ]
    )
    assert store.for_url("https://git.example.com/org/x").password == "org-token"  # type: ignore[union-attr]
    assert store.for_url("https://git.example.com/org/team/y").password == "team-token"  # type: ignore[union-attr]
    inherited = store.for_url("https://git.example.com/org/team/app")
    assert inherited is not None and inherited.password == "team-token" and inherited.insecure
    assert (
        store.for_url("https://git.example.com/elsewhere") is None
    )  # helm-type entries are not git credentials


def test_bad_secrets_are_reported_without_values_and_skipped() -> None:
    bad = _secret("no-url", "repository", string_data={"password": PASSWORD})
    broken = _secret("broken", "repository")
    broken["data"] = {"url": "!!not-base64!!", "password": "also-not"}
    store = CredentialStore.from_secrets([bad, broken])
    assert store.repositories == [] and len(store.problems) == 2
    assert "bosun/no-url" in store.problems[0] and "url" in store.problems[0]
    assert all(PASSWORD not in p for p in store.problems)


def test_settings_json_and_merge() -> None:
    settings = CredentialStore.from_settings(
        '[{"url": "https://git.example.com/org", "kind": "repo-creds", "password": "p1"},'
        ' {"url": "ssh://git@git.example.com/org/app", "sshPrivateKey": "K"}, 3, {"kind": "weird", "url": "x"}]'
    )
    assert len(settings.problems) == 2
    secrets = CredentialStore.from_secrets(
        [_secret("r", "repository", string_data={"url": "https://git.example.com/org/app", "password": "p2"})]
    )
    merged = secrets.merged(settings)
    assert merged.for_url("https://git.example.com/org/app").password == "p2"  # type: ignore[union-attr]
    assert merged.for_url("https://git.example.com/org/lib").password == "p1"  # type: ignore[union-attr]
    assert CredentialStore.from_settings("not json").problems
    assert CredentialStore.from_settings("").for_url("https://x/y") is None


def test_repr_never_shows_secrets() -> None:
    creds = RepoCredentials(url="https://h/r", username="u", password=PASSWORD, ssh_private_key=KEY)
    assert PASSWORD not in repr(creds) and "PRIVATE KEY" not in repr(creds)
    assert set(creds.secrets()) == {PASSWORD, KEY}


def test_url_userinfo_becomes_credentials_and_its_password_wins_over_a_secret() -> None:
    url, creds = with_url_credentials(f"https://bob:{PASSWORD}@git.example.com/org/app.git", None)
    assert url == "https://git.example.com/org/app.git"
    assert creds is not None and (creds.username, creds.password) == ("bob", PASSWORD)
    secret = RepoCredentials(username="eve", password="other", insecure=True, source="Secret s")
    _, chosen = with_url_credentials(f"https://bob:{PASSWORD}@h/r", secret)
    assert chosen is not None and (chosen.username, chosen.password, chosen.insecure) == (
        "bob",
        PASSWORD,
        True,
    )
    assert with_url_credentials("https://bob@h/r", secret)[1] is secret  # no password: the Secret's
    assert with_url_credentials("https://h/r", secret) == ("https://h/r", secret)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_https_credentials_reach_git_through_private_files_only() -> None:
    creds = RepoCredentials(username=None, password=PASSWORD)
    with git_auth_env(creds) as env:
        assert all(PASSWORD not in value for value in env.values())
        script = Path(env["GIT_ASKPASS"])
        folder = script.parent
        assert _mode(folder) == 0o700 and _mode(script) == 0o700
        assert _mode(folder / "password") == 0o600 and _mode(folder / "username") == 0o600
        assert (folder / "username").read_text() == "x-access-token\n"  # Argo CD's default for a bare token
        assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_CONFIG_GLOBAL"] == os.devnull
    assert not folder.exists()


def test_ssh_key_goes_to_a_0600_file_named_in_git_ssh_command() -> None:
    with git_auth_env(RepoCredentials(ssh_private_key=KEY), known_hosts_file="/etc/bosun/known_hosts") as env:
        command = env["GIT_SSH_COMMAND"]
        assert "PRIVATE KEY" not in command and "StrictHostKeyChecking=yes" in command
        assert "UserKnownHostsFile=/etc/bosun/known_hosts" in command
        key = Path(command.split(" -i ")[1].split()[0])
        assert _mode(key) == 0o600 and key.read_text() == KEY + "\n"
    assert not key.exists()
    with git_auth_env(RepoCredentials(ssh_private_key=KEY, insecure=True)) as env:
        assert "StrictHostKeyChecking=no" in env["GIT_SSH_COMMAND"]


def test_no_credentials_means_git_cannot_prompt() -> None:
    with git_auth_env(None) as env:
        assert env["GIT_TERMINAL_PROMPT"] == "0"
        assert Path(env["GIT_ASKPASS"]).name == "false"


def test_tls_client_certificate_and_proxy_fields() -> None:
    store = CredentialStore.from_secrets(
        [
            _secret(
                "tls",
                "repo-creds",
                string_data={
                    "url": "https://git.example.com/",
                    "tlsClientCertData": "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n",
                    "tlsClientCertKey": "-----BEGIN PRIVATE KEY-----\nk3y-Material\n-----END PRIVATE KEY-----\n",
                    "proxy": "http://proxyuser:Pr0xy-Pass@proxy.example.com:3128",
                    "noProxy": "internal.example.com",
                    "githubAppPrivateKey": "app-key",
                },
            ),
            _secret("repo", "repository", string_data={"url": "https://git.example.com/org/app"}),
        ]
    )
    assert any("githubAppPrivateKey" in p and "not supported" in p for p in store.problems)
    assert all("app-key" not in p for p in store.problems)
    creds = store.for_url("https://git.example.com/org/app")  # inherits the template's certificate and proxy
    assert creds is not None and creds.tls_client_cert_key and creds.proxy
    assert "k3y-Material" not in repr(creds) and "Pr0xy-Pass" not in repr(creds)
    assert "Pr0xy-Pass" in creds.secrets()
    with git_auth_env(creds) as env:
        cert, key = Path(env["GIT_SSL_CERT"]), Path(env["GIT_SSL_KEY"])
        assert _mode(key) == 0o600 and "k3y-Material" in key.read_text() and cert.exists()
        assert env["https_proxy"] == creds.proxy and env["no_proxy"] == "internal.example.com"
        assert all("k3y-Material" not in value for value in env.values())
    assert not key.exists()


def test_ssh_host_keys_are_checked_against_the_known_hosts_file_even_without_a_key(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    with git_auth_env(None, known_hosts_file=str(known)) as env:
        command = env["GIT_SSH_COMMAND"]
    assert f"UserKnownHostsFile={known}" in command and "StrictHostKeyChecking=yes" in command
    assert "-i " not in command
    with git_auth_env(
        RepoCredentials(url="ssh://git@h/r", insecure=True), known_hosts_file=str(known)
    ) as env:
        assert "StrictHostKeyChecking=no" in env["GIT_SSH_COMMAND"]
    with git_auth_env(None) as env:
        assert env["GIT_SSH_COMMAND"] == "ssh -F /dev/null -o BatchMode=yes"
