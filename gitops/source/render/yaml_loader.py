"""Bounded YAML loading: libyaml speed, alias bombs refused before they expand.

A "billion laughs" document is small once composed (aliases share nodes) and explodes only when
expanded. `load_documents` composes each document with libyaml, counts the nodes the document
would have once every alias is expanded (memoised per node, so counting costs as much as the
composed graph), and refuses it past a budget before anything is constructed or serialised.
Timestamps stay strings, as Kubernetes (Go YAML -> JSON) sees them.
"""

from __future__ import annotations

from typing import Any

import yaml

from gitops.errors import RenderError, UnsafeSourceError

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestLoader(_Base):  # type: ignore[valid-type,misc]
    """Safe loader that keeps timestamps as the strings they were written as."""


def _timestamp_as_string(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


def expanded_size(root: yaml.Node, budget: int) -> int:
    """Nodes `root` would have with aliases expanded; stops counting once past `budget`.

    Raises ValueError on a recursive alias (a node containing itself).
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = min(total, budget + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ValueError("recursive alias")
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise ValueError("recursive alias")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_documents(text: str | bytes, *, app: str, source: str, max_nodes: int) -> list[tuple[int, Any]]:
    """Every non-empty document of a YAML stream as (first line, data).

    Raises RenderError (invalid YAML, with the line) or UnsafeSourceError (alias bomb, recursion).
    """
    loader = ManifestLoader(text)
    documents: list[tuple[int, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            try:
                size = expanded_size(node, max_nodes)
            except ValueError:
                raise UnsafeSourceError(
                    f"recursive YAML alias in the document starting at line {line}",
                    app=app,
                    target=source,
                    hint="remove the self-referencing anchor",
                ) from None
            if size > max_nodes:
                raise UnsafeSourceError(
                    f"document at line {line} expands to more than {max_nodes} YAML nodes (alias bomb?)",
                    app=app,
                    target=source,
                    hint="remove the anchors/aliases that multiply content",
                )
            data = loader.construct_document(node)
            if data is not None:
                documents.append((line, data))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise RenderError(f"invalid YAML: {problem}", app=app, target=where, hint="fix the file") from None
    except yaml.YAMLError as exc:
        raise RenderError(f"invalid YAML: {exc}", app=app, target=source, hint="fix the file") from None
    except RecursionError:
        raise UnsafeSourceError(
            "YAML nested too deeply", app=app, target=source, hint="flatten the document"
        ) from None
    finally:
        loader.dispose()
    return documents
