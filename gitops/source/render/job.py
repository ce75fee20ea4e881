"""What a renderer is given (RenderJob) and what it returns (Rendered), plus Argo CD's envsubst.

Renderers are pure functions of a RenderJob: a read-only repository snapshot, the app's source
spec, its build context and the render settings. They never write into the snapshot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops.source.render.safety import Limits
from gitops.source.spec import AppContext, SourceSpec


@dataclass(frozen=True)
class RenderSettings:
    """The subset of Settings renderers use."""

    helm_path: str = "helm"
    kubectl_path: str = "kubectl"
    kustomize_path: str | None = None
    kustomize_allow_network: bool = False
    timeout_seconds: float = 90.0
    memory_bytes: int = 1 << 30  # RLIMIT_AS of each renderer subprocess; 0 = unlimited
    limits: Limits = field(default_factory=Limits)
    work_dir: Path | None = None  # scratch space for kustomize overlays; None = system temp

    @classmethod
    def from_settings(cls, settings: Any) -> RenderSettings:
        work = Path(settings.git_cache_dir) / "render-work"
        return cls(
            helm_path=settings.helm_path,
            kubectl_path=settings.kubectl_path,
            kustomize_path=settings.kustomize_path,
            kustomize_allow_network=settings.kustomize_allow_network,
            timeout_seconds=settings.render_timeout_seconds,
            memory_bytes=settings.render_memory_bytes,
            limits=Limits(settings.max_manifest_bytes, settings.max_documents),
            work_dir=work,
        )


@dataclass(frozen=True)
class RenderJob:
    """One source of one app to render."""

    app: str
    repo_root: Path  # the commit's read-only snapshot
    source: SourceSpec
    context: AppContext
    settings: RenderSettings
    ref_roots: Mapping[str, Path] = field(default_factory=dict)  # multi-source `ref` -> snapshot root

    @property
    def app_dir(self) -> Path:
        return self.repo_root / (self.source.path or ".")

    def display(self, path: Path | str) -> str:
        """A path as shown in errors: relative to the repository root."""
        return os.path.relpath(os.path.realpath(path), os.path.realpath(self.repo_root))

    def hidden_paths(self, *scratch: Path | str) -> dict[str, str]:
        """Host directories -> how errors show them (repository-relative, `$ref/` for ref sources)."""
        hidden = {os.path.realpath(self.repo_root): ""}
        hidden.update({os.path.realpath(root): f"${ref}/" for ref, root in self.ref_roots.items()})
        hidden.update({os.path.realpath(path): "" for path in scratch})
        return hidden

    def env(self) -> dict[str, str]:
        return self.context.build_env()


@dataclass
class Rendered:
    """Objects in output order, each with where it came from (file[:line] or tool), and the
    repository paths outside the app's path that the render read (for unchanged-path reuse)."""

    documents: list[tuple[str, Any]] = field(default_factory=list)
    inputs: set[str] = field(default_factory=set)


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Replace $VAR / ${VAR} of the build environment; unknown variables are left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, match.group(0))

    return _VAR.sub(replace, text)


def flatten_lists(data: Any) -> list[Any]:
    """A `kind: List` (of any apiVersion) becomes its items, recursively; anything else stays."""
    if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
        flat: list[Any] = []
        for item in data["items"]:
            flat.extend(flatten_lists(item))
        return flat
    return [data]
