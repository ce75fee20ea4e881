"""Which rule assesses which kind: built-in rules by (group, kind), plus plugins by entry point.

Plugins: a distribution declares entry points in group `bosun.health`, named `group/Kind` (`/Kind` or
`Kind` for the core group; `*` wildcards allowed, e.g. `example.com/*`), each loading a callable
`obj -> Health | None`. A plugin replaces the built-in rule of its kind (as Argo CD's custom health
checks do); returning None falls back to the built-in rule.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping
from functools import lru_cache
from importlib.metadata import entry_points

from gitops.health import batch, core, generic, networking, workloads
from gitops.health.types import HealthRule

ENTRY_POINT_GROUP = "bosun.health"

log = logging.getLogger(__name__)

BUILTIN: Mapping[tuple[str, str], HealthRule] = {
    ("apps", "Deployment"): workloads.deployment,
    ("apps", "StatefulSet"): workloads.stateful_set,
    ("apps", "DaemonSet"): workloads.daemon_set,
    ("apps", "ReplicaSet"): workloads.replica_set,
    ("", "Pod"): core.pod,
    ("", "Service"): core.service,
    ("", "PersistentVolumeClaim"): core.persistent_volume_claim,
    ("batch", "Job"): batch.job,
    ("batch", "CronJob"): batch.cron_job,
    ("networking.k8s.io", "Ingress"): networking.ingress,
    ("extensions", "Ingress"): networking.ingress,
    ("autoscaling", "HorizontalPodAutoscaler"): networking.horizontal_pod_autoscaler,
    ("apiregistration.k8s.io", "APIService"): networking.api_service,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): networking.custom_resource_definition,
    ("argoproj.io", "Application"): generic.application,
}


def parse_key(name: str) -> tuple[str, str]:
    """`apps/Deployment` -> (apps, Deployment); `/Pod` and `Pod` -> (``, Pod)."""
    group, _, kind = name.rpartition("/")
    return group, kind


@lru_cache(maxsize=1)
def plugins() -> tuple[tuple[str, str, HealthRule], ...]:
    """Installed plugins as (group pattern, kind pattern, rule); exact keys first. Loaded once per process."""
    loaded: list[tuple[str, str, HealthRule]] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not take health down for every kind
            log.error("health plugin %s (%s) failed to load: %s", entry.name, entry.value, exc)
            continue
        if not callable(rule):
            log.error("health plugin %s (%s) is not callable; ignored", entry.name, entry.value)
            continue
        group, kind = parse_key(entry.name)
        loaded.append((group, kind, rule))
    loaded.sort(key=lambda item: "*" in item[0] or "*" in item[1])
    return tuple(loaded)


@lru_cache(maxsize=512)
def plugin_for(group: str, kind: str) -> HealthRule | None:
    for group_pattern, kind_pattern, rule in plugins():
        if fnmatch.fnmatchcase(group, group_pattern) and fnmatch.fnmatchcase(kind, kind_pattern):
            return rule
    return None


def builtin_for(group: str, kind: str) -> HealthRule | None:
    return BUILTIN.get((group, kind))


def has_health_rule(group: str, kind: str) -> bool:
    """Whether the kind has a built-in rule or a plugin (the generic Ready rule needs the object)."""
    return (group, kind) in BUILTIN or plugin_for(group, kind) is not None


STATUSLESS: frozenset[tuple[str, str]] = frozenset({
    ("", "ConfigMap"), ("", "Secret"), ("", "ServiceAccount"), ("", "LimitRange"),
    ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("networking.k8s.io", "NetworkPolicy"), ("networking.k8s.io", "IngressClass"),
    ("scheduling.k8s.io", "PriorityClass"), ("storage.k8s.io", "StorageClass"),
})  # fmt: skip


def never_has_health(group: str, kind: str) -> bool:
    """True for built-in kinds that carry no status at all (so no rule, not even the generic Ready
    condition, can ever give them a health) and that no plugin claims: no need to read them back."""
    return (group, kind) in STATUSLESS and plugin_for(group, kind) is None


def reload_plugins() -> None:
    """Forget loaded plugins (tests that install one, or a process told to re-read them)."""
    plugins.cache_clear()
    plugin_for.cache_clear()
