"""One pass of the sync state machine (see engine.py): pure decisions over the plan, the saved
operation state and the little live state it reads (hooks and the last wave), plus the writes of the
group it applies. Results go to `state.sync_result.resources`; bookkeeping to `state.bosun`.
"""

from __future__ import annotations

from gitops.errors import ClusterError
from gitops.health.registry import never_has_health
from gitops.model.operation import (
    FAILED,
    RESULT_PRUNE_SKIPPED,
    RESULT_PRUNED,
    RESULT_SYNC_FAILED,
    RESULT_SYNCED,
    RUNNING,
    SUCCEEDED,
)
from gitops.sync.context import (
    Outcome,
    PassContext,
    any_failed,
    health_status,
    make_plan,
    result_id,
    target_for_apply,
)
from gitops.sync.hooks import HOOK_FAILED, HOOK_SUCCEEDED
from gitops.sync.plan import Plan
from gitops.sync.preflight import first_pass
from gitops.sync.tasks import SyncTask


def run_pass(ctx: PassContext) -> Outcome:
    ctx.results = {result_id(r): r for r in ctx.state.sync_result.resources}
    plan = make_plan(ctx)
    if not ctx.book.get("dryRunDone"):
        first = first_pass(ctx, plan)
        if first is not None:
            return first
    _update_hooks(ctx, plan)
    if ctx.book.get("failure") or any_failed(ctx):
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
    if any_failed(ctx):
        return _failure(ctx, plan)
    return Outcome(
        RUNNING,
        f"applied {group[0].phase} wave {group[0].wave}",
        ctx.poll_interval if waits else 0.0,
        immediate=not waits,
    )


def _failure(ctx: PassContext, plan: Plan) -> Outcome:
    """Remember the first failure, run the SyncFail hooks, and fail once no hook runs any more."""
    if not ctx.book.get("failure"):
        failed = [r for r in ctx.results.values() if r.status == RESULT_SYNC_FAILED or r.hook_phase == FAILED]
        what = ", ".join(f"{r.kind}/{r.name}: {r.message}" for r in failed[:3])
        ctx.book["failure"] = (
            f"one or more {'hooks' if all(r.hook_type for r in failed) else 'objects'} failed: {what}"
        )
    hooks = [] if ctx.state.operation.sync.resources else plan.sync_fail_hooks()
    pending = [h for h in hooks if h.result_id not in ctx.results]
    if pending:  # first time, or a SyncFail hook still waiting for its old copy to be deleted
        ctx.book["syncFailStarted"] = True
        _apply_group(ctx, plan, pending)
        return Outcome(RUNNING, f"running SyncFail hooks after: {ctx.book['failure']}", ctx.poll_interval)
    running = [r for r in ctx.results.values() if r.hook_type and r.hook_phase == RUNNING]
    if running:
        which = f"{running[0].hook_type} hook {running[0].kind}/{running[0].name}"
        return Outcome(
            RUNNING, f"waiting for {which} before failing: {ctx.book['failure']}", ctx.poll_interval
        )
    return Outcome(FAILED, str(ctx.book["failure"]))


def _update_hooks(ctx: PassContext, plan: Plan) -> None:
    """Running hooks become Succeeded/Failed from their health; delete policies then apply."""
    tasks = {t.result_id: t for t in plan.tasks if t.is_hook}
    for rid, result in ctx.results.items():
        if not result.hook_type or result.hook_phase != RUNNING or rid not in tasks:
            continue
        task = tasks[rid]
        status, message = health_status(ctx, ctx.actions.get(task))
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
        if never_has_health(task.key.group, task.key.kind):
            continue  # ConfigMap, Secret, RBAC...: no status, so no health to wait for or to read
        status, message = health_status(ctx, ctx.actions.get(task))
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
                target = target_for_apply(ctx, task)
                message = ctx.actions.apply(task, target)
                ctx.record(task, RESULT_SYNCED, message)
                waits = waits or ctx.assess(target) is not None  # kinds without health need no wait
        except ClusterError as err:
            if err.code is None or err.code in (429, 500, 502, 503, 504):
                raise
            ctx.record(task, RESULT_SYNC_FAILED, err.message, hook_phase=FAILED if task.is_hook else "")
    return waits
