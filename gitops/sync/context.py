"""The state one pass of the sync works on (`PassContext`), its `Outcome`, and helpers shared by
the pass modules: recording results, reading health, planning from the saved operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitops.cluster.port import ClusterPort
from gitops.compare.ignore import parse_rules, respect_ignored, rules_for
from gitops.errors import ClusterError
from gitops.model.application import ApplicationSyncSpec
from gitops.model.operation import (
    FAILED,
    RESULT_SYNC_FAILED,
    OperationState,
    ResourceResult,
)
from gitops.sync.actions import ClusterActions
from gitops.sync.options import SyncOptions
from gitops.sync.plan import Plan, PlanInput, build_plan
from gitops.sync.tasks import Obj, SyncTask
from gitops.tracking import ResourceKey


@dataclass
class Outcome:
    phase: str
    message: str
    delay: float = 0.0
    retryable: bool = True  # False for refusals a retry cannot change (allowEmpty, shared resource, bad spec)
    immediate: bool = False  # Running, and the next pass needs no wait (a wave without health applied)


@dataclass
class PassContext:
    spec: ApplicationSyncSpec
    state: OperationState
    inputs_desired: list[Obj]
    inputs_live: list[Obj]
    out_of_sync: set[ResourceKey] | None
    prune_confirmed: bool
    actions: ClusterActions
    assess: Callable[[dict[str, Any]], Any]
    poll_interval: float
    tracking_annotation: str
    results: dict[str, ResourceResult] = field(default_factory=dict)

    @property
    def book(self) -> dict[str, Any]:
        return self.state.bosun

    @property
    def cluster(self) -> ClusterPort:
        return self.actions.cluster

    def record(self, task: SyncTask, status: str, message: str, hook_phase: str = "") -> ResourceResult:
        result = self.results.get(task.result_id)
        if result is None:
            result = ResourceResult(
                group=task.key.group,
                version=task.version,
                kind=task.key.kind,
                namespace=task.key.namespace,
                name=task.key.name,
                hook_type=task.hook_type,
                sync_phase=task.phase,
            )
            self.results[task.result_id] = result
            self.state.sync_result.resources.append(result)
        result.status, result.message, result.hook_phase = status, message, hook_phase
        return result


def result_id(result: ResourceResult) -> str:
    return f"{result.group}/{result.kind}/{result.namespace}/{result.name}/{result.hook_type}"


def health_status(ctx: PassContext, obj: Obj | None) -> tuple[str | None, str]:
    if obj is None:
        return "Missing", "object not found"
    health = ctx.assess(obj)
    if health is None:
        return None, ""
    return str(health.status), str(getattr(health, "message", "") or "")


def _namespaced_lookup(cluster: ClusterPort) -> Callable[[str, str], bool | None]:
    cache: dict[tuple[str, str], bool | None] = {}

    def lookup(api_version: str, kind: str) -> bool | None:
        if (api_version, kind) not in cache:
            try:
                cache[(api_version, kind)] = cluster.resource_for(api_version, kind).namespaced
            except ClusterError as err:
                if err.code != 404 and err.reason != "NotFound":
                    raise
                cache[(api_version, kind)] = None
        return cache[(api_version, kind)]

    return lookup


def make_plan(ctx: PassContext) -> Plan:
    op = ctx.state.operation.sync
    options = SyncOptions(
        {
            **ctx.spec.sync_options.values,
            **SyncOptions.parse(op.sync_options, where="operation.sync.syncOptions").values,
        }
    )
    return build_plan(
        PlanInput(
            app=ctx.spec.app_name,
            destination_namespace=ctx.spec.destination_namespace,
            desired=ctx.inputs_desired,
            live=ctx.inputs_live,
            options=options,
            prune=op.prune,
            revision=op.revision,
            attempt_started_unix=int(ctx.book.get("attemptStartedAt") or 0),
            selected=op.resources,
            out_of_sync=ctx.out_of_sync,
            prune_confirmed=ctx.prune_confirmed,
            tracking_annotation=ctx.tracking_annotation,
        ),
        _namespaced_lookup(ctx.cluster),
    )


def target_for_apply(ctx: PassContext, task: SyncTask) -> Obj:
    assert task.target is not None
    if task.options.respect_ignore_differences and not task.is_hook:
        k = task.key
        rules = rules_for(
            parse_rules(ctx.spec.ignore_differences, ctx.spec.app_name), k.group, k.kind, k.namespace, k.name
        )
        return respect_ignored(task.target, task.live, rules)
    return task.target


def any_failed(ctx: PassContext) -> bool:
    return any(
        r.status == RESULT_SYNC_FAILED or (r.hook_type and r.hook_phase == FAILED)
        for r in ctx.results.values()
    )
