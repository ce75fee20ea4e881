"""AppProjects: the model (`model`), Argo CD's globs (`globs`), what a project permits
(`permissions`), the checks run before compare and sync (`checks`) and sync windows (`windows`)."""

from gitops.projects.checks import (
    forbidden_resources,
    forbidden_summary,
    mark_forbidden,
    resolve_project,
    scope_from,
    spec_violations,
)
from gitops.projects.model import DEFAULT_PROJECT, AppProject, Destination, GroupKind, SyncWindow
from gitops.projects.permissions import destination_permitted, kind_permitted, source_permitted
from gitops.projects.windows import sync_allowed, window_active, window_applies

__all__ = [
    "DEFAULT_PROJECT",
    "AppProject",
    "Destination",
    "GroupKind",
    "SyncWindow",
    "destination_permitted",
    "forbidden_resources",
    "forbidden_summary",
    "kind_permitted",
    "mark_forbidden",
    "resolve_project",
    "scope_from",
    "source_permitted",
    "spec_violations",
    "sync_allowed",
    "window_active",
    "window_applies",
]
