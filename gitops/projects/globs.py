"""Argo CD's glob matching for AppProjects and sync windows (gobwas/glob without separators).

`*` matches any run of characters (slashes included), `?` one character, `[abc]`/`[!abc]`/`[a-z]` a
class, `{a,b}` alternatives. A pattern starting with `!` is a deny pattern: `glob_match("!x", v)` is
True when `v` does NOT match `x` (Argo's `globMatch(..., allowNegation=true)`).
"""

from __future__ import annotations

from gitops.globs import compile_glob


def is_deny(pattern: str) -> bool:
    return pattern.startswith("!")


def glob_match(pattern: str, value: str, *, allow_negation: bool = False) -> bool:
    """Whether `value` matches the glob `pattern` (a `!` pattern inverts when `allow_negation`)."""
    if allow_negation and is_deny(pattern):
        return not compile_glob(pattern[1:]).fullmatch(value)
    return compile_glob(pattern).fullmatch(value) is not None


def any_match(patterns: list[str] | tuple[str, ...], value: str) -> bool:
    return any(glob_match(p, value) for p in patterns)
