"""Health of batch/v1 kinds: Job and CronJob."""

from __future__ import annotations

from gitops.health.common import Obj, condition, condition_is, spec_of
from gitops.health.types import Health, degraded, healthy, progressing, suspended


def job(obj: Obj) -> Health:
    if condition_is(obj, "Failed"):
        cond = condition(obj, "Failed") or {}
        return degraded(str(cond.get("message") or cond.get("reason") or "job failed"))
    if condition_is(obj, "Complete"):
        return healthy(str((condition(obj, "Complete") or {}).get("message") or "job completed"))
    if spec_of(obj).get("suspend") or condition_is(obj, "Suspended"):
        return suspended("job is suspended")
    return progressing("job is running")


def cron_job(obj: Obj) -> Health:
    if spec_of(obj).get("suspend"):
        return suspended("CronJob is suspended")
    return healthy()
