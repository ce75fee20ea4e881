"""Walking a kustomization and everything it references, before kustomize ever runs.

Kustomize's LoadRestrictionsRootOnly keeps *files* under each kustomization's root, but lets
`resources:`/`components:` name any directory on the host. This walk resolves every local path a
kustomization (and, recursively, its bases) references, refuses any that leaves the repository,
and refuses remote bases unless the network is allowed. It returns the files and directories
read, which are both what an override copy needs and the app's inputs for cache reuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.errors import UnsafeSourceError
from gitops.source.render.safety import is_inside, read_text_file
from gitops.source.render.yaml_loader import load_documents

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
DIRECTORY_FIELDS = ("resources", "bases", "components")
FILE_LIST_FIELDS = (
    "patchesStrategicMerge",
    "crds",
    "configurations",
    "generators",
    "transformers",
    "validators",
)
GENERATOR_FIELDS = ("configMapGenerator", "secretGenerator")


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def looks_remote(reference: str) -> bool:
    """Kustomize's remote forms: URLs, git@host:..., host.tld/org/repo[//path][?ref=x]."""
    if "://" in reference or reference.startswith("git@") or "?ref=" in reference or "?version=" in reference:
        return True
    first = reference.split("/", 1)[0]
    return "." in first.strip(".") and "/" in reference and not first.startswith(".")


@dataclass
class KustomizeTree:
    """Every kustomization directory and referenced file, repo-relative."""

    directories: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


def walk_kustomization(
    repo_root: Path, app_dir: Path, *, app: str, allow_network: bool, max_bytes: int
) -> KustomizeTree:
    tree = KustomizeTree()
    root = Path(os.path.realpath(repo_root))
    pending = [Path(os.path.realpath(app_dir))]
    while pending:
        directory = pending.pop()
        relative_dir = os.path.relpath(directory, root)
        if relative_dir in tree.directories:
            continue
        tree.directories.add(relative_dir)
        file = kustomization_file(directory)
        if file is None:
            continue  # a directory of plain resources; kustomize reads them all
        display = os.path.relpath(file, root)
        text = read_text_file(file, app=app, display=display, max_bytes=max_bytes)
        documents = load_documents(text, app=app, source=display, max_nodes=100_000)
        data: Any = documents[0][1] if documents else {}
        if not isinstance(data, dict):
            continue  # kustomize itself reports the malformed file
        for reference in _references(data):
            target = _resolve(
                root, directory, reference, app=app, display=display, allow_network=allow_network
            )
            if target is None:
                continue
            if target.is_dir():
                pending.append(target)
            elif target.exists():
                tree.files.add(os.path.relpath(target, root))
    return tree


def _resolve(
    root: Path, base: Path, reference: str, *, app: str, display: str, allow_network: bool
) -> Path | None:
    if os.path.isabs(reference):
        raise UnsafeSourceError(
            f"references absolute path {reference!r}",
            app=app,
            target=display,
            hint="use paths inside the repository",
        )
    candidate = Path(os.path.normpath(base / reference))
    if not candidate.exists() and looks_remote(reference):
        if not allow_network:
            raise UnsafeSourceError(
                f"references remote base {reference!r} but network access is disabled",
                app=app,
                target=display,
                hint="vendor the base into the repository or set BOSUN_KUSTOMIZE_ALLOW_NETWORK=true",
            )
        return None
    if not is_inside(root, candidate):
        raise UnsafeSourceError(
            f"references {reference!r}, which resolves outside the repository",
            app=app,
            target=display,
            hint="keep bases and files inside the repository",
        )
    return Path(os.path.realpath(candidate)) if candidate.exists() else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _references(data: dict[str, Any]) -> list[str]:
    """Every path-like string a kustomization names (inline YAML patches excluded)."""
    found: list[str] = []
    for name in (*DIRECTORY_FIELDS, *FILE_LIST_FIELDS):
        found += _strings(data.get(name))
    for entry in data.get("patches") or []:
        if isinstance(entry, dict):
            found += _strings(entry.get("path"))
    for entry in data.get("patchesJson6902") or []:
        if isinstance(entry, dict):
            found += _strings(entry.get("path"))
    for entry in data.get("replacements") or []:
        if isinstance(entry, dict):
            found += _strings(entry.get("path"))
    for generator in GENERATOR_FIELDS:
        for entry in data.get(generator) or []:
            if isinstance(entry, dict):
                found += [f.split("=", 1)[-1] for f in _strings(entry.get("files"))]
                found += _strings(entry.get("envs")) + _strings(entry.get("env"))
    openapi = data.get("openapi")
    if isinstance(openapi, dict):
        found += _strings(openapi.get("path"))
    if data.get("helmCharts") or data.get("helmChartInflationGenerator"):
        found += _strings(
            (data.get("helmGlobals") or {}).get("chartHome")
            if isinstance(data.get("helmGlobals"), dict)
            else None
        )
    return [ref for ref in found if ref and "\n" not in ref]
