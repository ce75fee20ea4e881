"""Semantic versions and Masterminds-style constraints, as Argo CD matches `targetRevision` to tags.

Argo CD uses github.com/Masterminds/semver/v3; this module reproduces its rules:
- versions: optional `v`, 1 to 3 numeric parts (`1`, `1.2`, `v1.2.3`), `-prerelease`, `+metadata`;
- constraints: `||` separates alternatives; inside one, constraints are separated by commas or
  spaces and must all hold (`>=1.0.0 <2.0.0`, `>= 1.0, < 2`); operators `=`, `!=`, `>`, `<`, `>=`,
  `<=` (`=>`, `=<`), `~` (`~>`), `^`; wildcards `x`, `X`, `*` (`1.2.x`, `1.2.*`, `*`); missing
  parts act as wildcards (`~1.2`, `^1`); hyphen ranges `1.2 - 1.4.5`;
- a version with a prerelease satisfies a constraint only if that constraint names a prerelease.

`parse_version(text) -> Version | None`, `parse_constraint(text) -> Constraint | None` (None when the
text is not one), `Constraint.check(version)`, `highest_matching(constraint, candidates)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering
from typing import TypeVar

_VERSION = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?(?:\+(?P<meta>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?$"
)
_WILD = r"(?:x|X|\*|0|[1-9]\d*)"
_CONSTRAINT_VERSION = re.compile(
    rf"^v?(?P<major>{_WILD})(?:\.(?P<minor>{_WILD}))?(?:\.(?P<patch>{_WILD}))?"
    r"(?:-(?P<pre>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?(?:\+(?P<meta>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?$"
)
_OPERATORS = ("!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")


def _prerelease_key(pre: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version; ordering follows semver 2.0 (metadata ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    original: str = ""

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after all of its prereleases.
        return (
            self.major,
            self.minor,
            self.patch,
            0 if self.prerelease else 1,
            _prerelease_key(self.prerelease),
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def parse_version(text: str) -> Version | None:
    """The version `text` denotes (`v1.2`, `1.2.3-rc.1`), or None."""
    m = _VERSION.match(text.strip())
    if m is None:
        return None
    return Version(int(m["major"]), int(m["minor"] or 0), int(m["patch"] or 0), m["pre"] or "", text)


@dataclass(frozen=True)
class _Term:
    op: str
    version: Version
    major_wild: bool
    minor_wild: bool
    patch_wild: bool

    def check(self, v: Version) -> bool:
        c = self.version
        if v.prerelease and not c.prerelease:
            return False
        if self.major_wild:
            return self.op not in ("!=", ">", "<")
        op = self.op
        dirty = self.minor_wild or self.patch_wild
        if op in ("", "="):
            return self._in_wild_range(v) if dirty else v == c
        if op == "!=":
            return not self._in_wild_range(v) if dirty else v != c
        if op == ">":
            if not dirty:
                return v > c
            if v.major != c.major:
                return v.major > c.major
            return False if self.minor_wild else v.minor > c.minor
        if op == "<":
            return v < c
        if op == ">=":
            return v >= c
        if op == "<=":
            if not dirty:
                return v <= c
            if v.major != c.major:
                return v.major < c.major
            return True if self.minor_wild else v.minor <= c.minor
        if op == "~":
            if v < c:
                return False
            if v.major != c.major:
                return False
            return True if self.minor_wild else v.minor == c.minor
        if op == "^":
            if v < c:
                return False
            if c.major > 0 or self.minor_wild:
                return v.major == c.major
            if c.minor > 0 or self.patch_wild:
                return v.major == 0 and v.minor == c.minor
            return v.major == 0 and v.minor == 0 and v.patch == c.patch
        return False

    def _in_wild_range(self, v: Version) -> bool:
        c = self.version
        if v.major != c.major:
            return False
        if self.minor_wild:
            return True
        if v.minor != c.minor:
            return False
        return self.patch_wild or v.patch == c.patch


def _is_wild(part: str | None) -> bool:
    return part is None or part in ("x", "X", "*")


def _parse_term(text: str) -> _Term | None:
    text = text.strip()
    op = next((o for o in _OPERATORS if text.startswith(o)), "")
    rest = text[len(op) :].strip()
    op = {"=>": ">=", "=<": "<=", "~>": "~"}.get(op, op)
    m = _CONSTRAINT_VERSION.match(rest)
    if m is None:
        return None
    major_wild = _is_wild(m["major"])
    minor_wild = major_wild or _is_wild(m["minor"])
    patch_wild = minor_wild or _is_wild(m["patch"])

    def num(part: str | None, wild: bool) -> int:
        return 0 if wild or part is None else int(part)

    version = Version(
        num(m["major"], major_wild),
        num(m["minor"], minor_wild),
        num(m["patch"], patch_wild),
        m["pre"] or "",
        rest,
    )
    return _Term(op, version, major_wild, minor_wild, patch_wild)


def _split_and(group: str) -> list[str] | None:
    """The terms of one `||` alternative: operators may be separated from versions by spaces."""
    hyphen = _HYPHEN.match(group)
    if hyphen:
        return [f">={hyphen.group(1)}", f"<={hyphen.group(2)}"]
    tokens = [t for t in re.split(r"[\s,]+", group.strip()) if t]
    terms: list[str] = []
    pending = ""
    for token in tokens:
        if token in _OPERATORS:
            if pending:
                return None
            pending = token
            continue
        terms.append(pending + token)
        pending = ""
    return None if pending or not terms else terms


@dataclass(frozen=True)
class Constraint:
    """Alternatives (OR) of conjunctions (AND) of terms; `check(version)`."""

    text: str
    alternatives: tuple[tuple[_Term, ...], ...]

    def check(self, version: Version) -> bool:
        return any(all(term.check(version) for term in group) for group in self.alternatives)


def parse_constraint(text: str) -> Constraint | None:
    """The constraint `text` denotes, or None when it is not a valid Masterminds constraint."""
    if not text.strip():
        return None
    alternatives: list[tuple[_Term, ...]] = []
    for group in text.split("||"):
        raw_terms = _split_and(group)
        if raw_terms is None:
            return None
        terms = [_parse_term(t) for t in raw_terms]
        if any(t is None for t in terms):
            return None
        alternatives.append(tuple(t for t in terms if t is not None))
    return Constraint(text, tuple(alternatives))


T = TypeVar("T")


def highest_matching(constraint: Constraint, candidates: Iterable[tuple[str, T]]) -> tuple[Version, T] | None:
    """The highest (version, item) among `(tag name, item)` candidates whose tag satisfies the constraint."""
    best: tuple[Version, T] | None = None
    for name, item in candidates:
        version = parse_version(name)
        if version is None or not constraint.check(version):
            continue
        if best is None or version > best[0]:
            best = (version, item)
    return best
