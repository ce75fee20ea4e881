"""One reconcile of one ApplicationSet: generate parameter sets, render Applications, write the
differences allowed by `applicationsSync`, and record the outcome in the set's status.

A set whose generators or template fail (bad spec, unreachable repository) gets an `ErrorOccurred`
condition naming the problem and nothing is written to its Applications. A set being deleted is
left to garbage collection (its Applications carry ownerReferences to it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitops.appsets.clusters import ClusterInfo, clusters_from_secrets
from gitops.appsets.generators import GeneratorContext, generate
from gitops.appsets.gitgen import RepoTrees
from gitops.appsets.plan import desired_applications, owned_by, plan_writes, sync_policy
from gitops.appsets.render import TemplateRenderer
from gitops.appsets.store import AppSetStore
from gitops.errors import BosunError
from gitops.model.timefmt import now_utc, to_rfc3339

log = logging.getLogger(__name__)
Obj = dict[str, Any]


@dataclass
class ReconcileReport:
    appset: str
    outcome: str  # reconciled, error, gone, deleting
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def summary(self) -> str:
        if self.outcome != "reconciled":
            return f"{self.outcome}: {self.message}" if self.message else self.outcome
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.deleted)} deleted, "
                f"{len(self.unchanged)} unchanged" + (f"; {self.message}" if self.message else ""))  # fmt: skip


def _condition(kind: str, true: bool, reason: str, message: str) -> Obj:
    return {"type": kind, "status": "True" if true else "False", "reason": reason, "message": message,
            "lastTransitionTime": to_rfc3339(now_utc())}  # fmt: skip


class ApplicationSetController:
    def __init__(self, store: AppSetStore, trees: RepoTrees) -> None:
        self.store = store
        self.trees = trees

    def _clusters(self) -> Callable[[], list[ClusterInfo]]:
        cached: list[list[ClusterInfo]] = []

        def load() -> list[ClusterInfo]:
            if not cached:
                cached.append(clusters_from_secrets(self.store.cluster_secrets()))
            return cached[0]

        return load

    def desired(self, appset: Obj) -> list[Obj]:
        """The Applications the set generates now (SpecError/SourceError/ClusterError on failure)."""
        spec = appset.get("spec") or {}
        renderer = TemplateRenderer(bool(spec.get("goTemplate")), list(spec.get("goTemplateOptions") or []))
        ctx = GeneratorContext(self._clusters(), self.trees, renderer)
        params = []
        for index, generator in enumerate(spec.get("generators") or []):
            params.extend(generate(generator, ctx, f"spec.generators[{index}]"))
        return desired_applications(appset, params, renderer)

    def reconcile(self, name: str) -> ReconcileReport:
        appset = self.store.appset(name)
        if appset is None:
            return ReconcileReport(name, "gone")
        if (appset.get("metadata") or {}).get("deletionTimestamp"):
            return ReconcileReport(name, "deleting")
        try:
            policy, _preserve = sync_policy(appset)
            desired = self.desired(appset)
        except BosunError as err:
            message = str(err)
            self.store.write_status(name, {"conditions": [
                _condition("ErrorOccurred", True, "ApplicationGenerationFromParamsError", message),
                _condition("ResourcesUpToDate", False, "ApplicationGenerationFromParamsError", message),
            ]})  # fmt: skip
            log.warning("ApplicationSet %s: %s", name, message)
            return ReconcileReport(name, "error", message=message)
        existing = self.store.applications()
        plan = plan_writes(appset, desired, existing, policy)
        for app in plan.create:
            self.store.create_application(app, name)
        for app in plan.update:
            self.store.replace_application(app, name)
        for app_name in plan.delete:
            self.store.delete_application(app_name, name)
        report = ReconcileReport(name, "reconciled", [a["metadata"]["name"] for a in plan.create],
                                 [a["metadata"]["name"] for a in plan.update], plan.delete, plan.unchanged,
                                 "; ".join(plan.conflicts))  # fmt: skip
        self.store.write_status(name, self._status(appset, desired, plan.conflicts, existing))
        return report

    def _status(self, appset: Obj, desired: list[Obj], conflicts: list[str], existing: list[Obj]) -> Obj:
        meta = appset.get("metadata") or {}
        statuses = {str(a["metadata"]["name"]): a.get("status") or {} for a in existing}
        owned = [a for a in desired if not any(a["metadata"]["name"] in c for c in conflicts)]
        resources = [{"group": "argoproj.io", "version": "v1alpha1", "kind": "Application",
                      "namespace": a["metadata"]["namespace"], "name": a["metadata"]["name"],
                      "status": ((statuses.get(a["metadata"]["name"]) or {}).get("sync") or {}).get("status", ""),
                      "health": (statuses.get(a["metadata"]["name"]) or {}).get("health") or {}}
                     for a in owned]  # fmt: skip
        message = "; ".join(conflicts) or "All applications have been generated successfully"
        return {
            "conditions": [
                _condition("ErrorOccurred", bool(conflicts), "ApplicationSetUpToDate" if not conflicts else "ApplicationNotOwned", message),
                _condition("ParametersGenerated", True, "ParametersGenerated", "Successfully generated parameters for all Applications"),
                _condition("ResourcesUpToDate", not conflicts, "ApplicationSetUpToDate", message),
            ],
            "resources": resources,
            "bosun": {"generation": meta.get("generation"), "applications": len(desired),
                      "revisions": dict(getattr(self.trees, "revisions", {}) or {})},
        }  # fmt: skip


def owned_applications(appset: Obj, applications: list[Obj]) -> list[Obj]:
    """The Applications of `applications` owned by the set (for CLI/API listings)."""
    meta = appset.get("metadata") or {}
    return [a for a in applications if owned_by(a, str(meta.get("uid") or ""), str(meta.get("name") or ""))]
