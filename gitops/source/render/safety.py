"""Guards against an untrusted repository: path confinement, symlinks, binary files, output limits.

Every check raises UnsafeSourceError (or RenderError for malformed documents) naming the app and
the file, and nothing is returned: a source that fails a check yields no manifests at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.errors import RenderError, UnsafeSourceError

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION = "helm.sh/hook"


@dataclass(frozen=True)
class Limits:
    """Caps applied to one app's render."""

    max_manifest_bytes: int = 10 * 1024 * 1024
    max_documents: int = 5000

    @property
    def max_yaml_nodes(self) -> int:
        """A YAML node costs at least ~2 bytes once serialised, so more than this cannot fit the cap."""
        return max(10_000, self.max_manifest_bytes // 2)


def confine(root: Path, relative: str, *, app: str, what: str) -> Path:
    """`root/relative`, refusing absolute paths and anything resolving outside `root`.

    `what` names the field for the error (`spec.source.path`, `helm.valueFiles[0]`).
    """
    if os.path.isabs(relative) or relative.startswith("~"):
        raise UnsafeSourceError(
            f"{what} {relative!r} is absolute", app=app, hint="use a path relative to the repository root"
        )
    real_root = os.path.realpath(root)
    candidate = os.path.realpath(os.path.join(real_root, relative))
    if candidate != real_root and not candidate.startswith(real_root + os.sep):
        raise UnsafeSourceError(
            f"{what} {relative!r} resolves outside the repository",
            app=app,
            hint="keep paths inside the repository",
        )
    return Path(candidate)


def is_inside(root: Path, path: Path | str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def check_symlinks(root: Path, *, app: str) -> None:
    """Refuse a repository holding any symlink (file or directory) that points outside it."""
    real_root = os.path.realpath(root)
    for directory, dirnames, filenames in os.walk(real_root, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            if os.path.islink(full) and not is_inside(Path(real_root), full):
                relative = os.path.relpath(full, real_root)
                raise UnsafeSourceError(
                    f"symlink {relative} -> {os.readlink(full)} points outside the repository",
                    app=app,
                    hint="replace the symlink by the file it points to",
                )


def read_text_file(path: Path, *, app: str, display: str, max_bytes: int) -> str:
    """A manifest file's text; refuses binary content and files bigger than the manifest cap."""
    size = path.stat().st_size
    if size > max_bytes:
        raise UnsafeSourceError(
            f"file is {size} bytes, over the {max_bytes}-byte manifest cap",
            app=app,
            target=display,
            hint="split the file or raise BOSUN_MAX_MANIFEST_BYTES",
        )
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UnsafeSourceError(
            "binary file where a manifest was expected",
            app=app,
            target=display,
            hint="remove it or exclude it",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeSourceError(
            f"not UTF-8 text (byte {exc.start})",
            app=app,
            target=display,
            hint="remove the binary file or exclude it",
        ) from None


def check_document(doc: Any, *, app: str, origin: str) -> None:
    """A Kubernetes object: a mapping with apiVersion, kind and metadata.name (generateName for hooks)."""
    if not isinstance(doc, dict):
        raise RenderError(
            f"document is a {type(doc).__name__}, not a mapping",
            app=app,
            target=origin,
            hint="each document must be a Kubernetes object",
        )
    for field in ("apiVersion", "kind"):
        if not isinstance(doc.get(field), str) or not doc.get(field):
            raise RenderError(f"object has no {field}", app=app, target=origin, hint=f"add {field}")
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        raise RenderError(f"{doc['kind']} has no metadata", app=app, target=origin, hint="add metadata.name")
    name = metadata.get("name")
    if isinstance(name, str) and name:
        return
    annotations = metadata.get("annotations") or {}
    is_hook = isinstance(annotations, dict) and (
        HOOK_ANNOTATION in annotations or HELM_HOOK_ANNOTATION in annotations
    )
    if is_hook and isinstance(metadata.get("generateName"), str) and metadata["generateName"]:
        return
    hint = "add metadata.name (generateName is allowed only on hooks)"
    raise RenderError(f"{doc['kind']} has no metadata.name", app=app, target=origin, hint=hint)


def check_totals(documents: int, size: int, *, app: str, limits: Limits) -> None:
    """The combined output of one app against the document and byte caps."""
    if documents > limits.max_documents:
        raise UnsafeSourceError(
            f"renders {documents} documents, over the cap of {limits.max_documents}",
            app=app,
            hint="split the app or raise BOSUN_MAX_DOCUMENTS",
        )
    if size > limits.max_manifest_bytes:
        raise UnsafeSourceError(
            f"manifests total {size} bytes, over the cap of {limits.max_manifest_bytes}",
            app=app,
            hint="split the app or raise BOSUN_MAX_MANIFEST_BYTES",
        )
