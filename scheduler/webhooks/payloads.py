"""Provider payloads turned into `PushEvent`s (or a ping, or an event Bosun ignores).

GitHub, Gitea and Gogs share one push format; GitLab, Bitbucket Cloud and Bitbucket Server have
their own. Changed files come from the commits' added/modified/removed lists; when a provider caps
the commit list (GitLab at 20, GitHub at 2048) and the push was longer, changed files are unknown.
Branch moves `(ref, before, after)` go into `PushEvent.updates` only for a delivery verified
against a configured secret (`verify_and_parse`); an unsigned one may trigger refreshes, never
say which commit a branch is at.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from gitops.errors import WebhookPayloadError
from gitops.triggers.event import PushEvent
from scheduler.webhooks.providers import (
    BITBUCKET,
    BITBUCKET_SERVER,
    GITEA,
    GITHUB,
    GITLAB,
    GOGS,
    Delivery,
    detect,
)
from scheduler.webhooks.verify import WebhookSecrets, verify

GITHUB_COMMIT_CAP = 2048
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Ping:
    """A provider's connectivity test: answered, nothing enqueued."""

    provider: str


@dataclass(frozen=True)
class Ignored:
    """A well-formed delivery of an event Bosun does not act on."""

    provider: str
    event: str


Parsed = PushEvent | Ping | Ignored


def _bad(delivery: Delivery, problem: str) -> WebhookPayloadError:
    return WebhookPayloadError(
        f"{delivery.provider} {delivery.event or 'webhook'} payload {problem}",
        target="POST /api/webhook",
        hint="send the provider's JSON push payload unmodified",
    )


def load_json(delivery: Delivery, body: bytes, content_type: str | None) -> dict[str, Any]:
    """The JSON object of the body (GitHub's form encoding `payload=<json>` accepted too)."""
    text: str | bytes = body
    media = (content_type or "").split(";")[0].strip().lower()
    if (
        media
        and media != "application/x-www-form-urlencoded"
        and not (media == "application/json" or media.endswith("+json"))
    ):
        raise _bad(delivery, f"has content type {media!r}; send application/json")
    if media == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", errors="replace"))
        if "payload" not in form:
            raise _bad(delivery, "is form-encoded without a payload field")
        text = form["payload"][0]
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise _bad(delivery, "is not valid JSON") from None
    if not isinstance(data, dict):
        raise _bad(delivery, "is not a JSON object")
    return data


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _urls(*values: Any) -> tuple[str, ...]:
    seen: list[str] = []
    for value in values:
        if isinstance(value, str) and value and value not in seen:
            seen.append(value)
    return tuple(seen)


def _changed(commits: Any, total: int | None, cap: int) -> tuple[str, ...] | None:
    if not isinstance(commits, list) or not commits:
        return None
    if len(commits) >= cap or (total is not None and total > len(commits)):
        return None
    files: list[str] = []
    for commit in commits:
        for field in ("added", "modified", "removed"):
            for path in _obj(commit).get(field) or []:
                if isinstance(path, str) and path not in files:
                    files.append(path)
    return tuple(files)


def _branch_moves(moves: Iterable[tuple[Any, Any, Any]]) -> tuple[tuple[str, str, str], ...]:
    """`(ref, before, after)` of branches moved from one commit to another (no creation, deletion
    or tag: those are left to ls-remote)."""
    out = []
    for ref, before, after in moves:
        if not (isinstance(ref, str) and ref.startswith("refs/heads/")):
            continue
        before, after = str(before or "").lower(), str(after or "").lower()
        if _SHA.match(before) and _SHA.match(after) and before.strip("0") and after.strip("0"):
            out.append((ref, before, after))
    return tuple(out)


def _ref(delivery: Delivery, payload: Mapping[str, Any]) -> str:
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref:
        raise _bad(delivery, "has no ref")
    return ref


def _github_like(delivery: Delivery, payload: Mapping[str, Any]) -> PushEvent:
    repo = _obj(payload.get("repository"))
    urls = _urls(
        repo.get("html_url"), repo.get("clone_url"), repo.get("ssh_url"), repo.get("git_url"), repo.get("url")
    )
    if not urls:
        raise _bad(delivery, "has no repository URL")
    default = repo.get("default_branch")
    ref = _ref(delivery, payload)
    return PushEvent(
        provider=delivery.provider,
        repo_urls=urls,
        refs=(ref,),
        changed_paths=_changed(payload.get("commits"), None, GITHUB_COMMIT_CAP),
        default_branch=default if isinstance(default, str) and default else None,
        after=str(payload.get("after") or ""),
        updates=_branch_moves([(ref, payload.get("before"), payload.get("after"))])
        if not payload.get("deleted") and not payload.get("forced_delete")
        else (),
    )


def _gitlab(delivery: Delivery, payload: Mapping[str, Any]) -> Parsed:
    if payload.get("object_kind") not in ("push", "tag_push"):
        return Ignored(delivery.provider, delivery.event)
    project = _obj(payload.get("project"))
    repo = _obj(payload.get("repository"))
    urls = _urls(
        project.get("web_url"), project.get("git_http_url"), project.get("git_ssh_url"),
        project.get("http_url"), project.get("ssh_url"),
        repo.get("homepage"), repo.get("git_http_url"), repo.get("git_ssh_url"), repo.get("url"),
    )  # fmt: skip
    if not urls:
        raise _bad(delivery, "has no project URL")
    total = payload.get("total_commits_count")
    default = project.get("default_branch")
    ref = _ref(delivery, payload)
    return PushEvent(
        provider=delivery.provider,
        repo_urls=urls,
        refs=(ref,),
        changed_paths=_changed(payload.get("commits"), total if isinstance(total, int) else None, 10**9),
        default_branch=default if isinstance(default, str) and default else None,
        after=str(payload.get("after") or payload.get("checkout_sha") or ""),
        updates=_branch_moves([(ref, payload.get("before"), payload.get("after"))]),
    )


def _bitbucket_cloud(delivery: Delivery, payload: Mapping[str, Any]) -> PushEvent:
    repo = _obj(payload.get("repository"))
    full_name = repo.get("full_name")
    urls = _urls(
        _obj(_obj(repo.get("links")).get("html")).get("href"),
        f"https://bitbucket.org/{full_name}" if isinstance(full_name, str) and full_name else None,
    )
    if not urls:
        raise _bad(delivery, "has no repository link")
    refs: list[str] = []
    after = ""
    moves = []
    for change in _obj(payload.get("push")).get("changes") or []:
        new, old = _obj(_obj(change).get("new")), _obj(_obj(change).get("old"))
        side = new or old
        name, kind = side.get("name"), side.get("type")
        if isinstance(name, str) and name:
            refs.append(f"refs/tags/{name}" if kind == "tag" else f"refs/heads/{name}")
            after = after or str(_obj(side.get("target")).get("hash") or "")
            if new and old and kind == "branch" and old.get("name") == name:
                hashes = (_obj(old.get("target")).get("hash"), _obj(new.get("target")).get("hash"))
                moves.append((refs[-1], *hashes))
    if not refs:
        raise _bad(delivery, "has no push.changes")
    main = _obj(repo.get("mainbranch")).get("name")
    return PushEvent(
        delivery.provider, urls, tuple(refs), None, main if isinstance(main, str) else None, after,
        _branch_moves(moves),
    )  # fmt: skip


def _bitbucket_server(delivery: Delivery, payload: Mapping[str, Any]) -> PushEvent:
    links = _obj(_obj(payload.get("repository")).get("links"))
    urls = _urls(*(_obj(link).get("href") for link in links.get("clone") or []))
    if not urls:
        raise _bad(delivery, "has no repository clone links")
    refs: list[str] = []
    after = ""
    moves = []
    for change in payload.get("changes") or []:
        change = _obj(change)
        ref = _obj(change.get("ref")).get("id") or change.get("refId")
        if isinstance(ref, str) and ref:
            refs.append(ref)
            after = after or str(change.get("toHash") or "")
            if str(change.get("type") or "UPDATE").upper() == "UPDATE":
                moves.append((ref, change.get("fromHash"), change.get("toHash")))
    if not refs:
        raise _bad(delivery, "has no changes")
    return PushEvent(delivery.provider, urls, tuple(refs), None, None, after, _branch_moves(moves))


def parse(delivery: Delivery, body: bytes, content_type: str | None = None) -> Parsed:
    """Parse a verified delivery; WebhookPayloadError when a push payload cannot be read."""
    provider, event = delivery.provider, delivery.event
    if provider == BITBUCKET_SERVER and event == "diagnostics:ping":
        return Ping(provider)
    if provider == GITHUB and event == "ping":
        load_json(delivery, body, content_type)
        return Ping(provider)
    pushes = {
        GITHUB: ("push",), GITEA: ("push",), GOGS: ("push",),
        GITLAB: ("Push Hook", "Tag Push Hook", "System Hook"),
        BITBUCKET: ("repo:push",), BITBUCKET_SERVER: ("repo:refs_changed",),
    }  # fmt: skip
    if event not in pushes.get(provider, ()):
        return Ignored(provider, event)
    payload = load_json(delivery, body, content_type)
    if provider == GITLAB:
        return _gitlab(delivery, payload)
    if provider == BITBUCKET:
        return _bitbucket_cloud(delivery, payload)
    if provider == BITBUCKET_SERVER:
        return _bitbucket_server(delivery, payload)
    return _github_like(delivery, payload)


def interpret(
    headers: Mapping[str, str], body: bytes, secrets: WebhookSecrets, content_type: str | None = None
) -> tuple[Delivery, Parsed]:
    """Detect, verify, then parse one delivery. Raises a WebhookError subclass on bad input."""
    delivery = detect(headers)
    return delivery, verify_and_parse(delivery, headers, body, secrets, content_type)


def verify_and_parse(
    delivery: Delivery,
    headers: Mapping[str, str],
    body: bytes,
    secrets: WebhookSecrets,
    content_type: str | None,
) -> Parsed:
    """Verify then parse a delivery already detected. Raises a WebhookError subclass on bad input."""
    if delivery.provider == BITBUCKET_SERVER and delivery.event == "diagnostics:ping":
        return Ping(delivery.provider)  # "Test connection" is unsigned; it triggers nothing
    verify(delivery, headers, body, secrets)
    parsed = parse(delivery, body, content_type)
    if isinstance(parsed, PushEvent) and not secrets.for_provider(delivery.provider):
        return dataclasses.replace(parsed, updates=())  # unsigned: may trigger, never pin a commit
    return parsed
