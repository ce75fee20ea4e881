"""One pass of the sync state machine (see engine.py): pure decisions over the plan, the saved
operation state and the little live state it reads (hooks and the last wave), plus the writes of the
group it applies. Results go to `state.sync_result.resources`; bookkeeping to `state.bosun`.
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
    RESULT_PRUNE_SKIPPED,
    RESULT_PRUNED,
    RESULT_SYNC_FAILED,
    RESULT_SYNCED,
    RUNNING,
    SUCCEEDED,
    OperationState,
    ResourceResult,
)
from gitops.sync.actions import ClusterActions
from gitops.sync.hooks import HOOK_FAILED, HOOK_SUCCEEDED
from gitops.sync.options import SyncOptions
from gitops.sync.plan import Plan, PlanInput, build_plan
from gitops.sync.tasks import Obj, SyncTask
from gitops.tracking import ResourceKey, tracked_by


@dataclass
class Outcome:
    phase: str
    message: str
    delay: float = 0.0
    retryable: bool = True  # False for refusals a retry cannot change (allowEmpty, shared resource, bad spec)


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


def _result_id(result: ResourceResult) -> str:
    return f"{result.group}/{result.kind}/{result.namespace}/{result.name}/{result.hook_type}"


def _health_status(ctx: PassContext, obj: Obj | None) -> tuple[str | None, str]:
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


def run_pass(ctx: PassContext) -> Outcome:
    ctx.results = {_result_id(r): r for r in ctx.state.sync_result.resources}
    plan = make_plan(ctx)
    if not ctx.book.get("dryRunDone"):
        first = _first_pass(ctx, plan)
        if first is not None:
            return first
    _update_hooks(ctx, plan)
    if ctx.book.get("failure") or _any_failed(ctx):
        return _failure(ctx, plan)
    running = [r for r in ctx.results.values() if r.hook_type and r.hook_phase == RUNNING]
    if running:
        return Outcome(
            RUNNING, f"waiting for completion of hook {running[0].kind}/{running[0].name}", ctx.poll_interval
        )
    waiting = _unhealthy_in_last_group(ctx, plan)
    if waiting:
        return Outcome(RUNNING, waiting, ctx.poll_interval)
    if _prunes_in_flight(ctx):
        return Outcome(RUNNING, "waiting for pruned objects to be deleted", ctx.poll_interval)
    pending = [t for t in plan.pending_phases() if t.result_id not in ctx.results]
    if not pending:
        return Outcome(SUCCEEDED, "successfully synced (all tasks run)")
    group_key = min(t.group_key for t in pending)
    group = [t for t in pending if t.group_key == group_key]
    waits = _apply_group(ctx, plan, group)
    ctx.book["lastGroup"] = list(group_key)
    if _any_failed(ctx):
        return _failure(ctx, plan)
    return Outcome(
        RUNNING, f"applied {group[0].phase} wave {group[0].wave}", ctx.poll_interval if waits else 0.0
    )


def _first_pass(ctx: PassContext, plan: Plan) -> Outcome | None:
    """Namespace, shared-resource and allowEmpty checks, then a dry run of every object."""
    op = ctx.state.operation
    options = SyncOptions({**ctx.spec.sync_options.values, **SyncOptions.parse(op.sync.sync_options).values})
    if options.create_namespace and not op.sync.dry_run and ctx.spec.destination_namespace:
        ctx.actions.ensure_namespace(
            ctx.spec.destination_namespace,
            ctx.spec.managed_namespace_labels,
            ctx.spec.managed_namespace_annotations,
        )
    for task in plan.tasks:
        if task.prune or task.live is None or task.is_hook:
            continue
        owner = tracked_by(task.live, task.key, ctx.tracking_annotation)
        if owner and owner != ctx.spec.app_name and task.options.fail_on_shared_resource:
            return Outcome(
                FAILED,
                f"{task.key} is part of application {owner!r} and FailOnSharedResource is set",
                retryable=False,
            )
    prunable = [t for t in plan.tasks if t.prune and not t.skip_message]
    allow_empty = bool(ctx.spec.automated and ctx.spec.automated.allow_empty)
    if op.initiated_by.automated and prunable and not plan.targets and not allow_empty:
        return Outcome(
            FAILED,
            f"refusing to prune all {len(prunable)} resources: Git has none "
            "(set syncPolicy.automated.allowEmpty: true if this is intended)",
            retryable=False,
        )
    errors: list[str] = []
    for task in plan.tasks:
        if task.prune or task.target is None:
            continue
        target = _target_for_apply(ctx, task)
        try:
            ctx.actions.dry_run(task, target)
        except ClusterError as err:
            if err.code in (404,) and _may_skip_dry_run(task, plan):
                continue
            if err.code is None or err.code in (429, 500, 502, 503, 504):
                raise
            errors.append(f"{task.key.kind}/{task.key.name}: {err.message}")
            ctx.record(task, RESULT_SYNC_FAILED, f"dry run failed: {err.message}")
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        return Outcome(
            FAILED, "one or more objects failed to apply (dry run): " + "; ".join(errors[:3]) + more
        )
    if op.sync.dry_run:
        for task in plan.tasks:
            if task.is_hook:
                continue
            if task.prune:
                status = RESULT_PRUNE_SKIPPED if task.skip_message else RESULT_PRUNED
                ctx.record(task, status, task.skip_message or "pruned (dry run)")
            else:
                ctx.record(
                    task, RESULT_SYNCED, f"{task.key.kind.lower()}/{task.key.name} configured (dry run)"
                )
        return Outcome(SUCCEEDED, "successfully synced (dry run)")
    ctx.book["dryRunDone"] = True
    return None


def _may_skip_dry_run(task: SyncTask, plan: Plan) -> bool:
    """Objects whose type (a CRD) or namespace this sync creates, or SkipDryRunOnMissingResource, skip the dry run."""
    if task.options.skip_dry_run_on_missing_resource:
        return True
    if task.key.namespace and any(
        t.get("kind") == "Namespace" and t["metadata"].get("name") == task.key.namespace
        for t in plan.targets.values()
    ):
        return True  # its namespace is created by this sync
    for target in plan.targets.values():
        if target.get("kind") == "CustomResourceDefinition":
            spec = target.get("spec") or {}
            if (spec.get("group"), (spec.get("names") or {}).get("kind")) == (task.key.group, task.key.kind):
                return True
    return False


def _target_for_apply(ctx: PassContext, task: SyncTask) -> Obj:
    assert task.target is not None
    if task.options.respect_ignore_differences and not task.is_hook:
        k = task.key
        rules = rules_for(
            parse_rules(ctx.spec.ignore_differences, ctx.spec.app_name), k.group, k.kind, k.namespace, k.name
        )
        return respect_ignored(task.target, task.live, rules)
    return task.target


def _any_failed(ctx: PassContext) -> bool:
    return any(
        r.status == RESULT_SYNC_FAILED or (r.hook_type and r.hook_phase == FAILED)
        for r in ctx.results.values()
    )


def _failure(ctx: PassContext, plan: Plan) -> Outcome:
    """Remember the first failure, run SyncFail hooks once, and fail when they are done."""
    if not ctx.book.get("failure"):
        failed = [r for r in ctx.results.values() if r.status == RESULT_SYNC_FAILED or r.hook_phase == FAILED]
        what = ", ".join(f"{r.kind}/{r.name}: {r.message}" for r in failed[:3])
        ctx.book["failure"] = (
            f"one or more {'hooks' if all(r.hook_type for r in failed) else 'objects'} failed: {what}"
        )
    hooks = [] if ctx.state.operation.sync.resources else plan.sync_fail_hooks()
    if hooks and not ctx.book.get("syncFailStarted"):
        ctx.book["syncFailStarted"] = True
        _apply_group(ctx, plan, hooks)
        return Outcome(RUNNING, f"running SyncFail hooks after: {ctx.book['failure']}", ctx.poll_interval)
    running = [r for r in ctx.results.values() if r.hook_type and r.hook_phase == RUNNING]
    if running:
        return Outcome(
            RUNNING, f"waiting for SyncFail hook {running[0].kind}/{running[0].name}", ctx.poll_interval
        )
    return Outcome(FAILED, str(ctx.book["failure"]))


def _update_hooks(ctx: PassContext, plan: Plan) -> None:
    """Running hooks become Succeeded/Failed from their health; delete policies then apply."""
    tasks = {t.result_id: t for t in plan.tasks if t.is_hook}
    for rid, result in ctx.results.items():
        if not result.hook_type or result.hook_phase != RUNNING or rid not in tasks:
            continue
        task = tasks[rid]
        status, message = _health_status(ctx, ctx.actions.get(task))
        if status == "Missing":
            result.hook_phase, result.status, result.message = (
                FAILED,
                RESULT_SYNC_FAILED,
                "hook object was deleted before it completed",
            )
        elif status in (None, "Healthy"):
            result.hook_phase, result.message = SUCCEEDED, message or "hook succeeded"
        elif status == "Degraded":
            result.hook_phase, result.status, result.message = (
                FAILED,
                RESULT_SYNC_FAILED,
                message or "hook failed",
            )
        else:
            continue
        policy = HOOK_SUCCEEDED if result.hook_phase == SUCCEEDED else HOOK_FAILED
        if policy in task.delete_policies:
            ctx.actions.delete_hook(task)


def _unhealthy_in_last_group(ctx: PassContext, plan: Plan) -> str:
    """The wait message while resources applied by the last step are not Healthy yet ('' when all are)."""
    last = ctx.book.get("lastGroup")
    if not last:
        return ""
    for task in plan.tasks:
        if list(task.group_key) != last or task.is_hook or task.prune or task.result_id not in ctx.results:
            continue
        if ctx.results[task.result_id].status != RESULT_SYNCED:
            continue
        status, message = _health_status(ctx, ctx.actions.get(task))
        if status not in (None, "Healthy"):
            return f"waiting for healthy state of {task.key} ({status}{': ' + message if message else ''})"
    return ""


def _prunes_in_flight(ctx: PassContext) -> bool:
    pending = list(ctx.book.get("pruning") or [])
    still = []
    for entry in pending:
        api_version, kind, namespace, name = entry
        info = ctx.cluster.resource_for(api_version, kind)
        if ctx.cluster.get(info, namespace or None, name) is not None:
            still.append(entry)
    ctx.book["pruning"] = still
    return bool(still)


def _apply_group(ctx: PassContext, plan: Plan, group: list[SyncTask]) -> bool:
    """Apply one (phase, wave[, stage]); returns True when something now needs a health wait."""
    marker = ctx.actions.hook_marker(str(ctx.book.get("operationId")), int(ctx.book.get("attempt") or 0))
    waits = False
    for task in group:
        try:
            if task.prune:
                if task.skip_message:
                    ctx.record(task, RESULT_PRUNE_SKIPPED, task.skip_message)
                    continue
                ctx.actions.prune(task, dry_run=False)
                ctx.record(task, RESULT_PRUNED, "pruned")
                ctx.book.setdefault("pruning", []).append(
                    [task.api_version, task.key.kind, task.key.namespace, task.key.name]
                )
                waits = True
            elif task.is_hook:
                hook_phase, message = ctx.actions.start_hook(task, marker)
                if hook_phase == "Pending":
                    waits = True
                    continue
                ctx.record(task, RESULT_SYNCED, message, hook_phase=RUNNING)
                waits = True
            else:
                message = ctx.actions.apply(task, _target_for_apply(ctx, task))
                ctx.record(task, RESULT_SYNCED, message)
                waits = True
        except ClusterError as err:
            if err.code is None or err.code in (429, 500, 502, 503, 504):
                raise
            ctx.record(task, RESULT_SYNC_FAILED, err.message, hook_phase=FAILED if task.is_hook else "")
    return waits
