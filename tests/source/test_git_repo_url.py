"""Repository URLs: one matching form for every spelling, a cache identity, and redaction of credentials."""

from __future__ import annotations

import pytest

from gitops.errors import SpecError
from gitops.source.repo_url import canonical, normalize, redact, repo_digest, strip_userinfo, validate


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/argoproj/argocd-example-apps.git",
        "https://GitHub.com/argoproj/argocd-example-apps",
        "http://github.com/argoproj/argocd-example-apps/",
        "https://user:token@github.com:443/argoproj/argocd-example-apps.git",
        "ssh://git@github.com/argoproj/argocd-example-apps.git",
        "ssh://git@github.com:22/argoproj/argocd-example-apps",
        "git@github.com:argoproj/argocd-example-apps.git",
        "github.com:argoproj/argocd-example-apps",
        "git://github.com/argoproj/argocd-example-apps.git",
        "  https://github.com/argoproj/argocd-example-apps.git  ",
    ],
)
def test_every_spelling_normalises_alike(url: str) -> None:
    assert normalize(url) == "github.com/argoproj/argocd-example-apps"


def test_matching_ignores_case_identity_keeps_path_case_and_ports() -> None:
    assert normalize("https://H/Org/Repo") == normalize("https://h/org/repo") == "h/org/repo"
    assert canonical("https://H/Org/Repo") == "h/Org/Repo"
    assert normalize("http://127.0.0.1:8001/a.git") == normalize("http://127.0.0.1:8002/a.git")
    assert canonical("http://127.0.0.1:8001/a.git") != canonical("http://127.0.0.1:8002/a.git")
    assert canonical("https://h:443/a.git") == canonical("https://h/a") == canonical("git@h:a.git")
    assert repo_digest("https://bob:pw@h/a.git") == repo_digest("https://h/a")
    assert len(repo_digest("https://h/a")) == 24


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("fatal: unable to access 'https://bob:hunter2@git.example.com/org/app.git/': 403", "hunter2"),
        ("clone https://x-access-token:ghp_ABCDEF123456@github.com/o/r failed", "ghp_ABCDEF123456"),
        ("https://oauth2:glpat-abc/def@gitlab.com/g/p.git", "glpat-abc/def"),
        ("see http://user:p%40ss@10.0.0.1:8080/r.git and more", "p%40ss"),
        ("GET https://h/r.git/info/refs?service=git-upload-pack&access_token=tok123", "tok123"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("two urls https://a:one1@h1/r and ssh://git:two2@h2/r", "one1"),
    ],
)
def test_redact_strips_credentials_anywhere(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "://" in out or "Authorization" in out


def test_redact_keeps_plain_urls_and_scrubs_literal_secrets() -> None:
    plain = "fatal: repository 'https://git.example.com/org/app.git/' not found; git@github.com:o/r.git"
    assert redact(plain) == plain
    assert redact("the password is Sup3rSecret!", secrets=["Sup3rSecret!"]) == "the password is ***"


def test_strip_userinfo() -> None:
    assert strip_userinfo("https://bob:p%40ss@h/r.git") == ("https://h/r.git", "bob", "p@ss")
    assert strip_userinfo("https://tok@h/r") == ("https://h/r", "tok", None)
    assert strip_userinfo("git@h:r.git") == ("git@h:r.git", None, None)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "-uhttps://h/r",
        "file:///etc/repo",
        "ext::sh -c touch% /tmp/x",
        "https:///norepo",
        "https://h/",
        "/local/path",
    ],
)
def test_validate_refuses_what_git_must_not_see(bad: str) -> None:
    with pytest.raises(SpecError) as info:
        validate(bad)
    assert "repoURL" in str(info.value)


def test_validate_accepts_supported_forms() -> None:
    for url in ("https://h/o/r.git", "http://127.0.0.1:9/r", "ssh://git@h:2222/r", "git@h:o/r", "git://h/r"):
        assert validate(url) == url
