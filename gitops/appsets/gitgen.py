"""The git generator: `directories[{path, exclude}]` and `files[{path}]` of a repository at a revision.

Directory params (flat mode): `path`, `path.basename`, `path.basenameNormalized`, `path[n]` per
segment; goTemplate: `.path.path`, `.path.basename`, `.path.basenameNormalized`, `.path.segments`.
File params: the file's JSON/YAML flattened (a top-level list gives one set per item) plus
`path` (the file's directory), `path.basename`, `path.filename`, `path.filenameNormalized`, `path[n]`.
`pathParamPrefix` prefixes the path params; `values` are rendered with each set and added as `values.*`.
Hidden directories (`.git`, `.github`, ...) are never listed.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from gitops.appsets.globs import glob_match
from gitops.appsets.params import Params, flatten, normalize_name
from gitops.errors import SpecError

MAX_FILE_BYTES = 1_000_000


class RepoTrees(Protocol):
    def tree(self, repo_url: str, revision: str) -> Path:
        """A read-only checkout of the revision (branch, tag, SHA or HEAD) of the repository."""
        ...


def list_directories(root: Path) -> list[str]:
    """Every non-hidden directory under `root`, repo-relative with `/`, sorted."""
    found = []
    for current, dirs, _files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            found.append(Path(current, name).relative_to(root).as_posix())
    return sorted(found)


def list_files(root: Path) -> list[str]:
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            found.append(Path(current, name).relative_to(root).as_posix())
    return sorted(found)


def select_directories(directories: list[str], rules: list[Mapping[str, Any]], where: str) -> list[str]:
    includes = [str(r.get("path") or "") for r in rules if not r.get("exclude")]
    excludes = [str(r.get("path") or "") for r in rules if r.get("exclude")]
    if not includes or any(not p for p in includes + excludes):
        raise SpecError(
            "git directories need at least one path (exclude entries also need a path)", target=where
        )
    return [
        d for d in directories
        if any(glob_match(p, d) for p in includes) and not any(glob_match(p, d) for p in excludes)
    ]  # fmt: skip


def path_params(path: str, go_template: bool, prefix: str = "", filename: str = "") -> Params:
    segments = [s for s in path.split("/") if s]
    basename = segments[-1] if segments else ""
    nested: Params = {"path": path, "basename": basename, "basenameNormalized": normalize_name(basename),
                      "segments": segments}  # fmt: skip
    if filename:
        nested |= {"filename": filename, "filenameNormalized": normalize_name(filename)}
    if go_template:
        return {prefix: {"path": nested}} if prefix else {"path": nested}
    head = f"{prefix}.path" if prefix else "path"
    flat: Params = {
        head: path,
        f"{head}.basename": basename,
        f"{head}.basenameNormalized": normalize_name(basename),
    }
    if filename:
        flat |= {f"{head}.filename": filename, f"{head}.filenameNormalized": normalize_name(filename)}
    for index, segment in enumerate(segments):
        flat[f"{head}[{index}]"] = segment
    return flat


def _documents(root: Path, rel: str, where: str) -> list[Mapping[str, Any]]:
    file = root / rel
    if file.is_symlink() or file.stat().st_size > MAX_FILE_BYTES:
        raise SpecError(f"{rel} is a symlink or larger than {MAX_FILE_BYTES} bytes", target=where)
    text = file.read_text(errors="replace")
    try:
        data = json.loads(text) if rel.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{rel} is not valid JSON/YAML: {exc}", target=where,
                        hint="fix the file in the repository") from None  # fmt: skip
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, Mapping) for item in items):
        raise SpecError(f"{rel} must hold an object or a list of objects", target=where)
    return items


def git_generator(spec: Mapping[str, Any], trees: RepoTrees, go_template: bool, where: str) -> list[Params]:
    repo_url = str(spec.get("repoURL") or "")
    if not repo_url:
        raise SpecError("the git generator needs repoURL", target=where)
    revision = str(spec.get("revision") or "HEAD")
    prefix = str(spec.get("pathParamPrefix") or "")
    directories, files = spec.get("directories"), spec.get("files")
    if bool(directories) == bool(files):
        raise SpecError("the git generator needs exactly one of directories or files", target=where)
    root = trees.tree(repo_url, revision)
    out: list[Params] = []
    if directories:
        for directory in select_directories(
            list_directories(root), list(directories), f"{where}.directories"
        ):
            out.append(path_params(directory, go_template, prefix))
        return out
    patterns = [str(f.get("path") or "") for f in files or []]
    if any(not p for p in patterns):
        raise SpecError("every git files entry needs a path glob", target=f"{where}.files")
    for rel in list_files(root):
        if not any(glob_match(p, rel) for p in patterns):
            continue
        directory, filename = posixpath.split(rel)
        for document in _documents(root, rel, f"{where}.files ({rel})"):
            content: Params = dict(document) if go_template else flatten(document)
            out.append(content | path_params(directory, go_template, prefix, filename))
    return out
