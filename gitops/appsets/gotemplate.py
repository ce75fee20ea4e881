"""A small, safe subset of Go's text/template for `goTemplate: true` ApplicationSets.

Supported: text with `{{ }}` actions and `{{-`/`-}}` whitespace trimming; `{{/* comments */}}`;
field access from the parameters (`.path.basename`, `.metadata.labels.env`, `$.name`); string
(`"..."`, raw), number and `true`/`false`/`nil` literals; function calls with arguments and
pipelines (`{{ .name | lower | replace "-" "_" }}`), parentheses; `if` / `else if` / `else` / `end`.
Functions: see `gofuncs.FUNCTIONS`. Not supported (a clear GoTemplateError): `range`, `with`,
`define`/`template`/`block`, variables other than `$`, method calls. No function can reach files,
the environment or the network. Options: `missingkey=error` makes an absent key an error (default:
`<no value>` as Go prints it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeAlias

from gitops.appsets.gofuncs import GoTemplateError, call, go_text, truthy

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)"""
    r"""|(?P<field>\$?(?:\.[A-Za-z_]\w*)+|\.|\$)|(?P<ident>[A-Za-z_]\w*)|(?P<sym>[|()]))"""
)
_UNSUPPORTED = ("range", "with", "define", "template", "block", "break", "continue")


@dataclass
class _Operand:
    kind: str  # literal, field, ident, pipe
    value: Any


@dataclass
class _Pipeline:
    commands: list[list[_Operand]]


@dataclass
class _If:
    branches: list[tuple[_Pipeline, list[_Node]]] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


_Node: TypeAlias = "str | _Pipeline | _If"


def _split(text: str) -> list[tuple[str, str]]:
    """Text and action segments, with `{{-` / `-}}` trimming applied to neighbouring text."""
    parts: list[tuple[str, str]] = []
    position, trim_next = 0, False
    for match in _ACTION.finditer(text):
        chunk = text[position : match.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if match.group(1):
            chunk = chunk.rstrip()
        if chunk:
            parts.append(("text", chunk))
        parts.append(("action", match.group(2).strip()))
        trim_next, position = bool(match.group(3)), match.end()
    rest = text[position:]
    if trim_next:
        rest = rest.lstrip()
    if rest:
        parts.append(("text", rest))
    return parts


def _tokens(action: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(action):
        if action[position:].strip() == "":
            break
        match = _TOKEN.match(action, position)
        if match is None or match.end() == position:
            raise GoTemplateError(f"cannot parse {action[position:]!r} in {{{{ {action} }}}}")
        kind = str(match.lastgroup)
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def _pipeline(tokens: list[tuple[str, str]], position: int, source: str) -> tuple[_Pipeline, int]:
    commands: list[list[_Operand]] = [[]]
    while position < len(tokens):
        kind, value = tokens[position]
        if kind == "sym" and value == ")":
            break
        position += 1
        if kind == "sym" and value == "|":
            commands.append([])
        elif kind == "sym" and value == "(":
            inner, position = _pipeline(tokens, position, source)
            if position >= len(tokens) or tokens[position][1] != ")":
                raise GoTemplateError(f"unclosed parenthesis in {{{{ {source} }}}}")
            position += 1
            commands[-1].append(_Operand("pipe", inner))
        elif kind == "str":
            commands[-1].append(_Operand("literal", bytes(value[1:-1], "utf-8").decode("unicode_escape")))
        elif kind == "raw":
            commands[-1].append(_Operand("literal", value[1:-1]))
        elif kind == "num":
            commands[-1].append(_Operand("literal", float(value) if "." in value else int(value)))
        elif kind == "field":
            commands[-1].append(_Operand("field", value))
        else:
            literals = {"true": True, "false": False, "nil": None}
            commands[-1].append(
                _Operand("literal", literals[value]) if value in literals else _Operand("ident", value)
            )
    if any(not command for command in commands):
        raise GoTemplateError(f"empty command in {{{{ {source} }}}}")
    return _Pipeline(commands), position


def _parse_pipeline(source: str) -> _Pipeline:
    tokens = _tokens(source)
    pipeline, position = _pipeline(tokens, 0, source)
    if position != len(tokens):
        raise GoTemplateError(f"unexpected ')' in {{{{ {source} }}}}")
    return pipeline


@lru_cache(maxsize=4096)
def parse(text: str) -> list[_Node]:
    """The template's node tree (cached per text: never mutated); GoTemplateError on syntax Bosun does not support."""
    root: list[_Node] = []
    stack: list[tuple[_If, list[_Node]]] = []
    current = root
    for kind, content in _split(text):
        if kind == "text":
            current.append(content)
            continue
        if content.startswith("/*") and content.endswith("*/"):
            continue
        word = content.split(None, 1)[0] if content else ""
        if word in _UNSUPPORTED:
            raise GoTemplateError(f"{{{{ {word} }}}} is not supported by Bosun's Go-template subset",
                                  hint="see docs/fleet.md for what goTemplate supports")  # fmt: skip
        if word == "if":
            node = _If()
            body: list[_Node] = []
            node.branches.append((_parse_pipeline(content[2:]), body))
            current.append(node)
            stack.append((node, current))
            current = body
        elif word == "else":
            if not stack:
                raise GoTemplateError("{{ else }} without {{ if }}")
            node = stack[-1][0]
            rest = content[4:].strip()
            current = []
            if rest.startswith("if ") or rest.startswith("if\t"):
                node.branches.append((_parse_pipeline(rest[2:]), current))
            elif rest:
                raise GoTemplateError(f"unexpected {{{{ {content} }}}}")
            else:
                node.otherwise = current
        elif word == "end":
            if not stack:
                raise GoTemplateError("{{ end }} without {{ if }}")
            current = stack.pop()[1]
        else:
            if not content:
                raise GoTemplateError("empty action {{ }}")
            current.append(_parse_pipeline(content))
    if stack:
        raise GoTemplateError("{{ if }} without {{ end }}")
    return root


class _Evaluator:
    def __init__(self, params: Mapping[str, Any], missing_error: bool) -> None:
        self.params = params
        self.missing_error = missing_error

    def field(self, path: str) -> Any:
        names = [part for part in path.lstrip("$").split(".") if part]
        current: Any = self.params
        for index, name in enumerate(names):
            if isinstance(current, Mapping) and name in current:
                current = current[name]
                continue
            if self.missing_error or (current is not None and not isinstance(current, Mapping)):
                where = "." + ".".join(names[: index + 1])
                raise GoTemplateError(f"map has no entry for key {where!r}",
                                      hint="add the parameter, or guard it with `default`/`if`")  # fmt: skip
            return None
        return current

    def operand(self, operand: _Operand) -> Any:
        if operand.kind == "literal":
            return operand.value
        if operand.kind == "field":
            return self.field(operand.value)
        if operand.kind == "pipe":
            return self.pipeline(operand.value)
        return call(operand.value, [])

    def pipeline(self, pipeline: _Pipeline) -> Any:
        value: Any = None
        for position, command in enumerate(pipeline.commands):
            head = command[0]
            piped = [value] if position > 0 else []
            if head.kind == "ident":
                args = [self.operand(o) for o in command[1:]] + piped
                value = call(head.value, args)
            elif len(command) > 1 or piped:
                raise GoTemplateError("only functions take arguments (a value cannot be piped into a value)")
            else:
                value = self.operand(head)
        return value

    def nodes(self, nodes: list[_Node], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Pipeline):
                out.append(go_text(self.pipeline(node)))
            else:
                for condition, body in node.branches:
                    if truthy(self.pipeline(condition)):
                        self.nodes(body, out)
                        break
                else:
                    self.nodes(node.otherwise, out)


def render_go(text: str, params: Mapping[str, Any], options: list[str] | None = None) -> str:
    """Render `text` with `params` as the dot. `options`: Argo CD's goTemplateOptions (missingkey=...)."""
    if "{{" not in text:
        return text
    missing_error = "missingkey=error" in (options or [])
    out: list[str] = []
    _Evaluator(params, missing_error).nodes(parse(text), out)
    return "".join(out)
