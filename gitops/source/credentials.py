"""Git credentials: where they come from, which repository gets which, and how git receives them.

Sources, as Argo CD's Secrets (read by the caller from the management namespace) or from settings:
- `argocd.argoproj.io/secret-type: repository`: one repository, matched on `normalize(url)`;
- `argocd.argoproj.io/secret-type: repo-creds`: a template for every URL starting with `url`
  (longest prefix wins); a repository Secret without credentials inherits them from its template.
Fields (in `data`, base64, or `stringData`): `url`, `username`, `password` (or a token),
`sshPrivateKey`, `insecure` ("true" skips TLS / host key checks), `type` (`git` or `helm`; only
`git` is used here), `name`. Settings: `BOSUN_GIT_CREDENTIALS`, a JSON list of objects with the same
fields plus `kind: repository|repo-creds`.

`CredentialStore.from_secrets(secrets)`, `.from_settings(json_text)`, `.merged(other)`,
`.for_url(repo_url) -> RepoCredentials | None`; unusable entries are skipped and listed in
`.problems` (messages name the Secret and field, never a value).

`git_auth_env(creds) -> ContextManager[dict[str, str]]` gives the environment for one git command.
Secrets never reach argv, URLs or environment values: HTTPS credentials are answered by a
`GIT_ASKPASS` script reading two 0600 files, SSH keys go to a 0600 key file named in
`GIT_SSH_COMMAND`; the private directory (in /dev/shm when available) is deleted afterwards.
`with_url_credentials(url, creds)` takes userinfo out of a URL (used only when no Secret matches).
"""

from __future__ import annotations

import base64
import binascii
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gitops.errors import SpecError
from gitops.source.repo_url import normalize, strip_userinfo

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
REPOSITORY = "repository"
REPO_CREDS = "repo-creds"
DEFAULT_TOKEN_USERNAME = "x-access-token"  # Argo CD's username when only a token is given

_ASKPASS = """#!/bin/sh
# Bosun git askpass: answers git's username/password prompts from the files beside this script.
here=$(dirname "$0")
case "$1" in
  Username*|username*) cat "$here/username" ;;
  *) cat "$here/password" ;;
esac
"""


@dataclass(frozen=True)
class RepoCredentials:
    """Credentials for one repository URL (or URL prefix). Secrets are left out of repr()."""

    url: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssh_private_key: str | None = field(default=None, repr=False)
    insecure: bool = False
    type: str = "git"
    source: str = ""

    def has_auth(self) -> bool:
        return bool(self.password or self.ssh_private_key or self.username)

    def secrets(self) -> tuple[str, ...]:
        """Every secret string, for `redact(text, secrets=...)`."""
        return tuple(s for s in (self.password, self.ssh_private_key) if s)


def _field(data: Mapping[str, Any], string_data: Mapping[str, Any], name: str) -> str | None:
    if name in string_data and string_data[name] is not None:
        return str(string_data[name])
    raw = data.get(name)
    if raw is None:
        return None
    return base64.b64decode(str(raw), validate=True).decode()


class CredentialStore:
    """Repository and repo-creds entries; `for_url` picks the one Argo CD would."""

    def __init__(
        self,
        repositories: Iterable[RepoCredentials] = (),
        templates: Iterable[RepoCredentials] = (),
        problems: Iterable[str] = (),
    ) -> None:
        self.repositories = [c for c in repositories if c.type == "git"]
        self.templates = sorted(
            (c for c in templates if c.type == "git"), key=lambda c: len(c.url), reverse=True
        )
        self.problems = list(problems)

    @classmethod
    def from_secrets(cls, secrets: Iterable[Mapping[str, Any]]) -> CredentialStore:
        """From Kubernetes Secret objects (dicts); Secrets of other types are ignored."""
        repositories: list[RepoCredentials] = []
        templates: list[RepoCredentials] = []
        problems: list[str] = []
        for secret in secrets:
            meta = secret.get("metadata") or {}
            kind = (meta.get("labels") or {}).get(SECRET_TYPE_LABEL)
            if kind not in (REPOSITORY, REPO_CREDS):
                continue
            where = f"Secret {meta.get('namespace', '')}/{meta.get('name', '?')}".replace(" /", " ")
            try:
                entry = cls._entry(secret.get("data") or {}, secret.get("stringData") or {}, where)
            except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
                problems.append(f"{where}: {exc}; fix the Secret")
                continue
            (repositories if kind == REPOSITORY else templates).append(entry)
        return cls(repositories, templates, problems)

    @classmethod
    def from_settings(cls, text: str) -> CredentialStore:
        """From the JSON list in setting `git_credentials` (fields as in Secrets, plus `kind`)."""
        if not text.strip():
            return cls()
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError:
            return cls(
                problems=["setting BOSUN_GIT_CREDENTIALS is not valid JSON; give a JSON list of objects"]
            )
        if not isinstance(items, list):
            return cls(problems=["setting BOSUN_GIT_CREDENTIALS must be a JSON list of objects"])
        repositories: list[RepoCredentials] = []
        templates: list[RepoCredentials] = []
        problems: list[str] = []
        for index, item in enumerate(items):
            where = f"setting BOSUN_GIT_CREDENTIALS[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: not an object")
                continue
            kind = item.get("kind", REPOSITORY)
            if kind not in (REPOSITORY, REPO_CREDS):
                problems.append(f"{where}: kind must be {REPOSITORY!r} or {REPO_CREDS!r}")
                continue
            try:
                entry = cls._entry({}, item, where)
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            (repositories if kind == REPOSITORY else templates).append(entry)
        return cls(repositories, templates, problems)

    @staticmethod
    def _entry(data: Mapping[str, Any], string_data: Mapping[str, Any], where: str) -> RepoCredentials:
        url = _field(data, string_data, "url")
        if not url:
            raise ValueError("field 'url' is missing")
        insecure = (_field(data, string_data, "insecure") or "false").strip().lower() == "true"
        return RepoCredentials(
            url=url.strip(),
            username=_field(data, string_data, "username") or None,
            password=_field(data, string_data, "password") or None,
            ssh_private_key=_field(data, string_data, "sshPrivateKey") or None,
            insecure=insecure,
            type=(_field(data, string_data, "type") or "git").strip(),
            source=where,
        )

    def merged(self, other: CredentialStore) -> CredentialStore:
        """Entries of both; this store's repository entries are tried first."""
        return CredentialStore(
            [*self.repositories, *other.repositories],
            [*self.templates, *other.templates],
            [*self.problems, *other.problems],
        )

    def for_url(self, repo_url: str) -> RepoCredentials | None:
        """The exact repository entry (inheriting a template's credentials if it has none), else the
        repo-creds entry with the longest URL prefix, else None."""
        clean = strip_userinfo(repo_url)[0]
        try:
            wanted = normalize(clean)
        except SpecError:
            wanted = clean
        template = next((t for t in self.templates if clean.startswith(t.url)), None)
        for repo in self.repositories:
            try:
                same = normalize(repo.url) == wanted
            except SpecError:
                same = repo.url == clean
            if same:
                if repo.has_auth() or template is None:
                    return repo
                return RepoCredentials(
                    url=repo.url,
                    username=template.username,
                    password=template.password,
                    ssh_private_key=template.ssh_private_key,
                    insecure=repo.insecure or template.insecure,
                    source=f"{repo.source} with {template.source}",
                )
        return template


def with_url_credentials(repo_url: str, creds: RepoCredentials | None) -> tuple[str, RepoCredentials | None]:
    """(URL without userinfo, credentials): explicit credentials win over userinfo in the URL."""
    clean, user, password = strip_userinfo(repo_url)
    if creds is None and (user or password):
        creds = RepoCredentials(url=clean, username=user, password=password, source="URL userinfo")
    return clean, creds


def _private_dir() -> Path:
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="bosun-git-", dir=base))


def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def base_git_env() -> dict[str, str]:
    """Environment every git command gets: no prompts, no user or system config, safe transports."""
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": shutil.which("false") or "/bin/false",
        "SSH_ASKPASS": shutil.which("false") or "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": "https:http:ssh:git",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_SSH_COMMAND": "ssh -F /dev/null -o BatchMode=yes",
        "GIT_HTTP_LOW_SPEED_LIMIT": "1",
        "GIT_HTTP_LOW_SPEED_TIME": "60",
    }


@contextmanager
def git_auth_env(
    creds: RepoCredentials | None, known_hosts_file: str | None = None
) -> Iterator[dict[str, str]]:
    """Environment for one git command using `creds`; secret files are removed on exit."""
    env = base_git_env()
    if creds is None or not creds.has_auth():
        if creds is not None and creds.insecure:
            env["GIT_SSL_NO_VERIFY"] = "true"
        yield env
        return
    directory = _private_dir()
    try:
        if creds.insecure:
            env["GIT_SSL_NO_VERIFY"] = "true"
        if creds.password or creds.username:
            _write_private(directory / "username", (creds.username or DEFAULT_TOKEN_USERNAME) + "\n")
            _write_private(directory / "password", (creds.password or "") + "\n")
            script = directory / "askpass.sh"
            _write_private(script, _ASKPASS, 0o700)
            env["GIT_ASKPASS"] = str(script)
        if creds.ssh_private_key:
            key = directory / "id_key"
            text = (
                creds.ssh_private_key
                if creds.ssh_private_key.endswith("\n")
                else creds.ssh_private_key + "\n"
            )
            _write_private(key, text)
            checking = "no" if creds.insecure else "yes"
            known = known_hosts_file if (known_hosts_file and not creds.insecure) else os.devnull
            env["GIT_SSH_COMMAND"] = " ".join(
                [
                    "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes",
                    f"-i {shlex.quote(str(key))}",
                    f"-o StrictHostKeyChecking={checking}",
                    f"-o UserKnownHostsFile={shlex.quote(known)}",
                ]
            )
        yield env
    finally:
        shutil.rmtree(directory, ignore_errors=True)
