"""Argo CD's glob matching for AppProjects and sync windows (gobwas/glob without separators).

`*` matches any run of characters (slashes included), `?` one character, `[abc]`/`[!abc]`/`[a-z]` a
class, `{a,b}` alternatives. A pattern starting with `!` is a deny pattern: `glob_match("!x", v)` is
True when `v` does NOT match `x` (Argo's `globMatch(..., allowNegation=true)`).
"""

from __future__ import annotations

import re
from functools import lru_cache


def is_deny(pattern: str) -> bool:
    return pattern.startswith("!")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
                i = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    out.append(")" * depth)
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return re.compile(re.escape(pattern))


def glob_match(pattern: str, value: str, *, allow_negation: bool = False) -> bool:
    """Whether `value` matches the glob `pattern` (a `!` pattern inverts when `allow_negation`)."""
    if allow_negation and is_deny(pattern):
        return not _compile(pattern[1:]).fullmatch(value)
    return _compile(pattern).fullmatch(value) is not None


def any_match(patterns: list[str] | tuple[str, ...], value: str) -> bool:
    return any(glob_match(p, value) for p in patterns)
