"""The first pass of an operation: CreateNamespace, the shared-resource and allowEmpty checks, and
the dry run of every object (an error fails the operation); a dry-run operation ends here.
"""

from __future__ import annotations

from gitops.errors import ClusterError
from gitops.model.operation import (
    FAILED,
    RESULT_PRUNE_SKIPPED,
    RESULT_PRUNED,
    RESULT_SYNC_FAILED,
    RESULT_SYNCED,
    SUCCEEDED,
)
from gitops.sync.context import Outcome, PassContext, target_for_apply
from gitops.sync.options import SyncOptions
from gitops.sync.plan import Plan
from gitops.sync.tasks import SyncTask
from gitops.tracking import tracked_by


def first_pass(ctx: PassContext, plan: Plan) -> Outcome | None:
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
        target = target_for_apply(ctx, task)
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
