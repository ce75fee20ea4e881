"""Ordering of sync tasks: phase, then wave, then Argo CD's kind order, then name.

Kinds not in the list (custom resources) come after every listed kind, ordered by kind name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.errors import SpecError

SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
HELM_WEIGHT_ANNOTATION = "helm.sh/hook-weight"

PHASES = ("PreSync", "Sync", "PostSync", "SyncFail")
PHASE_ORDER = {phase: index for index, phase in enumerate(PHASES)}

KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
KIND_RANK = {kind: index for index, kind in enumerate(KIND_ORDER)}


def kind_rank(kind: str) -> int:
    """Position of a kind in Argo CD's order; unknown kinds share the last rank."""
    return KIND_RANK.get(kind, len(KIND_ORDER))


def sync_wave(obj: Mapping[str, Any]) -> int:
    """The object's wave: `argocd.argoproj.io/sync-wave` (or Helm's hook weight), default 0."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(SYNC_WAVE_ANNOTATION)
    if raw is None:
        raw = annotations.get(HELM_WEIGHT_ANNOTATION)
    if raw is None or str(raw).strip() == "":
        return 0
    try:
        return int(str(raw).strip())
    except ValueError:
        name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName")
        raise SpecError(
            f"sync wave {raw!r} is not an integer",
            target=f"{obj.get('kind')}/{name}",
            hint=f'set {SYNC_WAVE_ANNOTATION} to a whole number such as "-1" or "2"',
        ) from None


def order_key(phase: str, wave: int, kind: str, name: str) -> tuple[int, int, int, str, str]:
    """Sort key of a task: phase, wave, kind rank, kind (for custom resources), name."""
    return (PHASE_ORDER[phase], wave, kind_rank(kind), kind, name)
