"""Compare: desired vs live per resource (server-side apply dry-run diff, cheap proofs, ignoreDifferences).

Public interface: `compare_app(port, app, desired, ...) -> CompareResult`, `CompareSettings`,
`ResourceStatus`, `SyncCode`, `Condition`, `MemoryDiffCache`, `prepare_targets`/`Target` (the marked
objects to apply), `respect_ignored` (RespectIgnoreDifferences), hook/wave readers.
"""

from gitops.compare.cache import DiffCache, MemoryDiffCache, Verdict
from gitops.compare.compare import CompareSettings, compare_app
from gitops.compare.diff import unified_diff
from gitops.compare.ignore import IgnoreRule, parse_rules, respect_ignored, rules_for, strip_ignored
from gitops.compare.result import CompareResult, CompareStats, Condition, ResourceStatus, SyncCode
from gitops.compare.targets import (
    Target,
    compare_options,
    hook_types,
    is_hook,
    is_skipped,
    prepare_targets,
    sync_wave,
)

__all__ = [
    "CompareResult",
    "CompareSettings",
    "CompareStats",
    "Condition",
    "DiffCache",
    "IgnoreRule",
    "ManifestError",
    "MemoryDiffCache",
    "ResourceStatus",
    "SyncCode",
    "Target",
    "Verdict",
    "compare_app",
    "compare_options",
    "hook_types",
    "is_hook",
    "is_skipped",
    "parse_rules",
    "prepare_targets",
    "respect_ignored",
    "rules_for",
    "strip_ignored",
    "sync_wave",
    "unified_diff",
]
