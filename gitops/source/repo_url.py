"""Repository URLs: normalising for matching, identity for caches, and redaction of credentials.

- `normalize(url)`: the form two URLs of one repository share, for matching (webhooks, AppProject
  sourceRepos, repo-creds lookups): `host/path`, lower-cased, no scheme, user, port or `.git`.
  `https://GitHub.com/org/repo.git`, `ssh://git@github.com:22/org/repo` and `git@github.com:org/repo`
  all give `github.com/org/repo`.
- `canonical(url)` / `repo_digest(url)`: the identity of a repository for caches and mirrors; like
  `normalize` but keeps a non-default port (two servers on one host are different repositories)
  and the path's case (some servers are case-sensitive).
- `strip_userinfo(url) -> (url, username, password)`: credentials embedded in a URL, taken out.
- `redact(text, secrets=())`: removes userinfo, token query parameters and auth headers from URLs
  anywhere in a string, plus any literal secret given. Every git error message passes through it.
- `validate(url)`: refuses URLs git must never be handed (local paths, `file://`, `ext::`, options).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from gitops.errors import SpecError

ALLOWED_SCHEMES = ("https", "http", "ssh", "git")
_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418, "git+ssh": 22, "ssh+git": 22}
_SCP_FORM = re.compile(
    r"^(?:(?P<user>[^@/\s:]+)@)?(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<path>(?!//)[^\s]*)$"
)
_SCHEME_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

_USERINFO_IN_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s@/?#'\"]*(?::[^\s@'\"]*)?@")
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:access_token|private_token|oauth_token|token|password|passwd|pass|secret|"
    r"api_key|apikey|key|sig|signature|auth)=)[^&\s#'\"]+"
)
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*(?:basic|bearer|token)\s+)\S+")
_MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without credentials: URL userinfo dropped, token parameters and auth headers masked."""
    out = _USERINFO_IN_URL.sub(r"\1", text)
    out = _SECRET_QUERY.sub(r"\1" + _MASK, out)
    out = _AUTH_HEADER.sub(r"\1" + _MASK, out)
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        out = out.replace(secret, _MASK)
    return out


def _parts(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) of a git URL in any accepted form; SpecError when unparseable."""
    text = url.strip()
    if not text:
        raise SpecError("empty repository URL", target="repoURL", hint="set spec.source.repoURL")
    if not _SCHEME_URL.match(text):
        scp = _SCP_FORM.match(text)
        if scp is None:
            raise SpecError(
                f"repository URL {redact(text)!r} is neither a URL nor user@host:path",
                target="repoURL",
                hint="use https://host/org/repo or git@host:org/repo",
            )
        return "ssh", scp.group("host").strip("[]").lower(), None, scp.group("path")
    try:
        split = urlsplit(text)
        port = split.port
    except ValueError as exc:
        raise SpecError(
            f"repository URL {redact(text)!r} is invalid: {redact(str(exc))}",
            target="repoURL",
            hint="check the host and port",
        ) from None
    return split.scheme.lower(), (split.hostname or "").lower(), port, split.path


def _clean_path(path: str) -> str:
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    return path.strip("/")


def normalize(url: str) -> str:
    """Matching form `host/path`, lower-cased like Argo CD's NormalizeGitURL and its case-insensitive
    webhook match; scheme, user, port and `.git` ignored."""
    _scheme, host, _port, path = _parts(url)
    return f"{host}/{_clean_path(path)}".lower()


def canonical(url: str) -> str:
    """Identity of a repository for caches: `host[:port]/path`, the port kept only when not default."""
    scheme, host, port, path = _parts(url)
    hostport = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{hostport}/{_clean_path(path)}"


def repo_digest(url: str) -> str:
    """Short stable hash of `canonical(url)`: credential-free, used in cache keys and directory names."""
    return hashlib.sha256(canonical(url).encode()).hexdigest()[:24]


def strip_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, username, password) for scheme URLs; scp-form URLs keep their user."""
    text = url.strip()
    if not _SCHEME_URL.match(text):
        return text, None, None
    split = urlsplit(text)
    if "@" not in split.netloc:
        return text, None, None
    userinfo, _, hostport = split.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = split._replace(netloc=hostport).geturl()
    return clean, unquote(user) or None, unquote(password) if sep else None


def validate(url: str) -> str:
    """The URL stripped of spaces, if git may be handed it; SpecError naming the problem otherwise."""
    text = url.strip()
    if text.startswith("-"):
        raise SpecError(
            "repository URL must not start with '-'", target="repoURL", hint="use an https or ssh URL"
        )
    scheme, host, _port, path = _parts(text)
    if _SCHEME_URL.match(text) and scheme not in ALLOWED_SCHEMES:
        raise SpecError(
            f"repository URL scheme {scheme!r} is not allowed",
            target="repoURL",
            hint=f"use one of {', '.join(ALLOWED_SCHEMES)} or user@host:path",
        )
    if not host or not _clean_path(path):
        raise SpecError(
            f"repository URL {redact(text)!r} has no host or no path",
            target="repoURL",
            hint="use https://host/org/repo or git@host:org/repo",
        )
    return text
