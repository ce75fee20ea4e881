"""Hook annotations: which phase(s) an object runs in, its delete policies, and Helm's equivalents.

`argocd.argoproj.io/hook: PreSync|Sync|PostSync|SyncFail|Skip|PostDelete` (comma list allowed) and
`argocd.argoproj.io/hook-delete-policy: HookSucceeded|HookFailed|BeforeHookCreation` (default
BeforeHookCreation). Helm's `helm.sh/hook` and `helm.sh/hook-delete-policy` are mapped the way Argo
CD maps them, in case a manifest reaches the engine with them untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY_ANNOTATION = "argocd.argoproj.io/hook-delete-policy"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
HELM_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"

PRE_SYNC = "PreSync"
SYNC = "Sync"
POST_SYNC = "PostSync"
SYNC_FAIL = "SyncFail"
SKIP = "Skip"
POST_DELETE = "PostDelete"
HOOK_TYPES = (PRE_SYNC, SYNC, POST_SYNC, SYNC_FAIL, SKIP, POST_DELETE)
_CANONICAL_TYPES = {t.lower(): t for t in HOOK_TYPES}

HOOK_SUCCEEDED = "HookSucceeded"
HOOK_FAILED = "HookFailed"
BEFORE_HOOK_CREATION = "BeforeHookCreation"
DELETE_POLICIES = (HOOK_SUCCEEDED, HOOK_FAILED, BEFORE_HOOK_CREATION)
_CANONICAL_POLICIES = {p.lower(): p for p in DELETE_POLICIES}

_HELM_TO_ARGO = {
    "pre-install": PRE_SYNC,
    "pre-upgrade": PRE_SYNC,
    "post-install": POST_SYNC,
    "post-upgrade": POST_SYNC,
    "crd-install": PRE_SYNC,
}
_HELM_POLICY = {
    "before-hook-creation": BEFORE_HOOK_CREATION,
    "hook-succeeded": HOOK_SUCCEEDED,
    "hook-failed": HOOK_FAILED,
}


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def hook_types(obj: Mapping[str, Any]) -> list[str]:
    """The hook types of an object, empty for a regular resource. Unknown names are ignored."""
    annotations = _annotations(obj)
    raw = annotations.get(HOOK_ANNOTATION)
    if raw is not None:
        found = [_CANONICAL_TYPES.get(part.strip().lower()) for part in str(raw).split(",")]
        return [t for t in dict.fromkeys(found) if t]
    helm = annotations.get(HELM_HOOK_ANNOTATION)
    if helm is not None:
        mapped = [_HELM_TO_ARGO.get(part.strip().lower()) for part in str(helm).split(",")]
        return [t for t in dict.fromkeys(mapped) if t]
    return []


def is_hook(obj: Mapping[str, Any]) -> bool:
    """True for objects run as hooks (Skip is not a hook: it is never applied at all)."""
    return any(t != SKIP for t in hook_types(obj))


def is_skipped(obj: Mapping[str, Any]) -> bool:
    """`argocd.argoproj.io/hook: Skip`: never applied."""
    return SKIP in hook_types(obj)


def delete_policies(obj: Mapping[str, Any]) -> list[str]:
    """The hook's delete policies; BeforeHookCreation when none is given."""
    annotations = _annotations(obj)
    raw = annotations.get(HOOK_DELETE_POLICY_ANNOTATION)
    if raw is not None:
        found = [_CANONICAL_POLICIES.get(part.strip().lower()) for part in str(raw).split(",")]
    else:
        helm = annotations.get(HELM_DELETE_POLICY_ANNOTATION)
        found = [_HELM_POLICY.get(part.strip().lower()) for part in str(helm or "").split(",")]
    policies = [p for p in dict.fromkeys(found) if p]
    return policies or [BEFORE_HOOK_CREATION]
