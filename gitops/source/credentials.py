"""Git credentials: where they come from, which repository gets which, and how git receives them.

Sources, as Argo CD's Secrets (read by the caller from the management namespace) or from settings:
- `argocd.argoproj.io/secret-type: repository`: one repository, matched on `normalize(url)`;
- `argocd.argoproj.io/secret-type: repo-creds`: a template for every URL starting with `url`
  (longest prefix wins); a repository Secret without credentials inherits them from its template.
Fields (in `data`, base64, or `stringData`): `url`, `username`, `password` (or a token),
`sshPrivateKey`, `insecure` ("true" skips TLS / host key checks), `type` (`git` or `helm`; only
`git` is used here), `tlsClientCertData` / `tlsClientCertKey`, `proxy`, `noProxy`, `name`.
GitHub App, Google Cloud and Azure workload-identity fields are not supported: reported in
`.problems`, ignored. Settings: `BOSUN_GIT_CREDENTIALS`, a JSON list of objects with the same
fields plus `kind: repository|repo-creds`.

`CredentialStore.from_secrets(secrets)`, `.from_settings(json_text)`, `.merged(other)`,
`.for_url(repo_url) -> RepoCredentials | None`; unusable entries are skipped and listed in
`.problems` (messages name the Secret and field, never a value).

How git receives them without exposure: `gitops.source.git_auth.git_auth_env`.
`with_url_credentials(url, creds)` takes userinfo out of a URL; a password there wins over a Secret's;
an `ssh://` URL keeps its user (the SSH login name).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import orjson

from gitops.errors import SpecError
from gitops.source.repo_url import normalize, strip_userinfo

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
REPOSITORY = "repository"
REPO_CREDS = "repo-creds"
_SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")
DEFAULT_TOKEN_USERNAME = "x-access-token"  # Argo CD's username when only a token is given
UNSUPPORTED_FIELDS = (
    "githubAppPrivateKey",
    "githubAppID",
    "gcpServiceAccountKey",
    "useAzureWorkloadIdentity",
)


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
    tls_client_cert_data: str | None = field(default=None, repr=False)
    tls_client_cert_key: str | None = field(default=None, repr=False)
    proxy: str | None = field(default=None, repr=False)
    no_proxy: str | None = None

    def has_auth(self) -> bool:
        return bool(self.password or self.ssh_private_key or self.username or self.tls_client_cert_key)

    def secrets(self) -> tuple[str, ...]:
        """Every secret string, for `redact(text, secrets=...)`."""
        proxy_password = strip_userinfo(self.proxy)[2] if self.proxy else None
        candidates = (self.password, self.ssh_private_key, self.tls_client_cert_key, proxy_password)
        return tuple(s for s in candidates if s)


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
            data, string_data = secret.get("data") or {}, secret.get("stringData") or {}
            try:
                entry = cls._entry(data, string_data, where)
            except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
                problems.append(f"{where}: {exc}; fix the Secret")
                continue
            problems.extend(cls._unsupported(data, string_data, where))
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
            problems.extend(cls._unsupported({}, item, where))
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
            tls_client_cert_data=_field(data, string_data, "tlsClientCertData") or None,
            tls_client_cert_key=_field(data, string_data, "tlsClientCertKey") or None,
            proxy=_field(data, string_data, "proxy") or None,
            no_proxy=_field(data, string_data, "noProxy") or None,
        )

    @staticmethod
    def _unsupported(data: Mapping[str, Any], string_data: Mapping[str, Any], where: str) -> list[str]:
        found = [name for name in UNSUPPORTED_FIELDS if data.get(name) or string_data.get(name)]
        return [
            f"{where}: field {name!r} is not supported by Bosun (ignored); use a token as password instead"
            for name in found
        ]

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
                return replace(
                    template,
                    url=repo.url,
                    insecure=repo.insecure or template.insecure,
                    proxy=repo.proxy or template.proxy,
                    no_proxy=repo.no_proxy or template.no_proxy,
                    source=f"{repo.source} with {template.source}",
                )
        return template


def with_url_credentials(repo_url: str, creds: RepoCredentials | None) -> tuple[str, RepoCredentials | None]:
    """(URL without userinfo, credentials). A password in the URL's userinfo is the Application's own
    choice and wins over a matching Secret's username/password (the Secret's TLS, proxy and
    `insecure` settings still apply); a username alone fills in only when nothing matched.
    `ssh://user@host/...` keeps its user: it is the SSH login name (e.g. `git`), not a credential
    (a password there is dropped: SSH runs in batch mode with keys only)."""
    clean, user, password = strip_userinfo(repo_url)
    if user and clean.split("://", 1)[0].lower() in _SSH_SCHEMES:
        scheme, rest = clean.split("://", 1)
        return f"{scheme}://{quote(user, safe='')}@{rest}", creds
    if password:
        base = creds or RepoCredentials(url=clean)
        source = f"URL userinfo with {base.source}" if base.source else "URL userinfo"
        return clean, replace(base, username=user, password=password, ssh_private_key=None, source=source)
    if creds is None and user:
        creds = RepoCredentials(url=clean, username=user, source="URL userinfo")
    return clean, creds
