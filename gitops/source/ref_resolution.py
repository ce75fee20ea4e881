"""Reading an ls-remote ref list: what commit an Application's `targetRevision` means (pure).

`resolve_from_refs(refs, target_revision) -> Resolved`, given the ls-remote output as
`{ref name: sha}` (a symbolic ref such as HEAD maps to `"ref: refs/heads/main"`; an annotated
tag's peeled commit is under `"refs/tags/v1^{}"`). It follows Argo CD's `lsRemote`:
1. a full 40-hex SHA is the commit itself (no ls-remote needed; `is_full_sha`);
2. empty means `HEAD`, the default branch;
3. a semver constraint (`1.2.*`, `>=1.0.0 <2.0.0`, `~1.2`, `^1.2`) that is not itself a plain
   version picks the highest matching tag; if no tag matches, resolution goes on as a name;
4. a full ref name (`refs/heads/x`, `refs/tags/x`, `refs/pull/1/head`) or a short name (`x`);
   when a short name is both a tag and a branch, git's rule applies: the tag wins;
5. 7 to 39 hex digits: the commit of a ref whose SHA starts with them, else an abbreviated commit
   left for the mirror to expand (`Resolved.kind == "commit-prefix"`), as Argo CD does;
6. anything else is `RevisionNotFoundError`.
Tags resolve to the commit (peeled), never to the tag object.

`apply_branch_moves(refs, updates)`: the list after a push's `(ref, before, after)` branch moves,
or None unless every one moves an existing branch from exactly `before` to another commit.

`LsRemotePort` is the port that produces the ref list (`git_remote.GitRemote` on real servers).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Protocol

import orjson

from gitops.errors import RevisionNotFoundError
from gitops.source.credentials import RepoCredentials
from gitops.source.repo_url import redact
from gitops.source.semver_constraints import highest_matching, parse_constraint, parse_version

_FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-fA-F]{7,39}$")
SYMREF_PREFIX = "ref: "
PEELED_SUFFIX = "^{}"


@dataclass(frozen=True)
class Resolved:
    """A resolved revision. kind: commit, commit-prefix, head, branch, tag, semver or ref."""

    sha: str
    ref: str
    kind: str

    def to_bytes(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> Resolved:
        raw = orjson.loads(data)
        return cls(sha=str(raw["sha"]), ref=str(raw["ref"]), kind=str(raw["kind"]))


class LsRemotePort(Protocol):
    """Lists every ref of a remote repository: `{ref name: sha or "ref: target"}`."""

    def ls_remote(self, repo_url: str, creds: RepoCredentials | None = None) -> dict[str, str]: ...


def is_full_sha(revision: str) -> bool:
    return bool(_FULL_SHA.match(revision.strip()))


def short_name(ref: str) -> str:
    """`refs/heads/x` and `refs/tags/x` -> `x`, `refs/pull/1/head` -> `pull/1/head` (as go-git's Short)."""
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _kind_of(ref: str) -> str:
    if ref.startswith("refs/heads/"):
        return "branch"
    if ref.startswith("refs/tags/"):
        return "tag"
    return "ref"


def _commit_of(refs: dict[str, str], ref: str, depth: int = 0) -> str | None:
    """The commit `ref` points at: symbolic refs followed, annotated tags peeled."""
    value = refs.get(ref)
    if value is None:
        return None
    if value.startswith(SYMREF_PREFIX):
        return None if depth > 5 else _commit_of(refs, value[len(SYMREF_PREFIX) :], depth + 1)
    return refs.get(ref + PEELED_SUFFIX, value)


def _ref_names(refs: dict[str, str]) -> list[str]:
    return [name for name in refs if not name.endswith(PEELED_SUFFIX)]


def resolve_from_refs(refs: dict[str, str], target_revision: str, repo: str = "") -> Resolved:
    """What `target_revision` means given a repository's refs (see the module docstring)."""
    revision = target_revision.strip()
    if is_full_sha(revision):
        return Resolved(revision.lower(), "", "commit")
    if revision in ("", "HEAD"):
        return _resolve_head(refs, repo)
    if parse_version(revision) is None:
        constraint = parse_constraint(revision)
        if constraint is not None:
            tags = [(short_name(n), n) for n in _ref_names(refs) if n.startswith("refs/tags/")]
            best = highest_matching(constraint, tags)
            if best is not None:
                sha = _commit_of(refs, best[1])
                if sha:
                    return Resolved(sha, best[1], "semver")
    names = _ref_names(refs)
    if revision in refs and revision != "HEAD":
        sha = _commit_of(refs, revision)
        if sha:
            return Resolved(sha, revision, _kind_of(revision))
    # git's disambiguation order for a short name: refs/x, refs/tags/x, refs/heads/x, refs/remotes/x
    for candidate in (
        f"refs/{revision}",
        f"refs/tags/{revision}",
        f"refs/heads/{revision}",
        f"refs/remotes/{revision}",
    ):
        if candidate in names:
            sha = _commit_of(refs, candidate)
            if sha:
                return Resolved(sha, candidate, _kind_of(candidate))
    if _SHORT_SHA.match(revision):
        prefix = revision.lower()
        matches = {sha for name in names if (sha := _commit_of(refs, name)) and sha.startswith(prefix)}
        if len(matches) == 1:
            return Resolved(matches.pop(), "", "commit")
        return Resolved(prefix, "", "commit-prefix")
    where = f" of {redact(repo)}" if repo else ""
    hint = "use a branch, a tag, HEAD, a full commit SHA or a semver constraint matching a tag"
    if parse_constraint(revision) is not None and parse_version(revision) is None:
        hint = "no tag satisfies this semver constraint; push a matching tag or change targetRevision"
    raise RevisionNotFoundError(
        f"targetRevision {revision!r} matches no branch, tag or ref{where}", hint=hint
    )


def _resolve_head(refs: dict[str, str], repo: str) -> Resolved:
    head = refs.get("HEAD")
    if head is None:
        where = f" {redact(repo)}" if repo else ""
        raise RevisionNotFoundError(
            f"repository{where} has no HEAD (empty repository?)",
            hint="push a default branch or set targetRevision",
        )
    if head.startswith(SYMREF_PREFIX):
        target = head[len(SYMREF_PREFIX) :]
        sha = _commit_of(refs, target)
        if sha:
            return Resolved(sha, target, "head")
        raise RevisionNotFoundError(
            f"HEAD points to {target!r}, which does not exist", hint="push that branch"
        )
    return Resolved(head, "HEAD", "head")


def apply_branch_moves(refs: dict[str, str], updates: list[tuple[str, str, str]]) -> dict[str, str] | None:
    """`refs` with each `(ref, before, after)` applied (see the module docstring)."""
    moved = dict(refs)
    for ref, before, after in updates:
        if not ref.startswith("refs/heads/") or not (is_full_sha(before) and is_full_sha(after)):
            return None
        if moved.get(ref) != before.lower() or after.strip("0") == "":
            return None
        moved[ref] = after.lower()
    return moved
