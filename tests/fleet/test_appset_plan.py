"""Generated Applications (names, ownerReference, finalizer) and the writes each applicationsSync
policy allows, pure."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops.appsets.plan import RESOURCES_FINALIZER, desired_applications, plan_writes, sync_policy
from gitops.appsets.render import TemplateRenderer
from gitops.errors import SpecError

APPSET: dict[str, Any] = {
    "metadata": {"name": "guestbook", "namespace": "bosun", "uid": "u-1"},
    "spec": {"template": {
        "metadata": {"name": "{{name}}-guestbook", "labels": {"env": "{{name}}"}},
        "spec": {"project": "default", "destination": {"server": "{{server}}", "namespace": "guestbook"},
                 "source": {"repoURL": "https://git/x", "path": "guestbook"}},
    }},
}  # fmt: skip
PARAMS = [{"name": "dev", "server": "https://dev"}, {"name": "prod", "server": "https://prod"}]


def appset(**policy: object) -> dict:
    doc = copy.deepcopy(APPSET)
    doc["spec"]["syncPolicy"] = policy
    return doc


def test_desired_apps_are_owned_and_carry_the_finalizer() -> None:
    apps = desired_applications(APPSET, PARAMS, TemplateRenderer())
    assert [a["metadata"]["name"] for a in apps] == ["dev-guestbook", "prod-guestbook"]
    meta = apps[0]["metadata"]
    assert meta["namespace"] == "bosun" and meta["labels"] == {"env": "dev"}
    assert meta["ownerReferences"] == [{"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
                                        "name": "guestbook", "uid": "u-1", "controller": True,
                                        "blockOwnerDeletion": True}]  # fmt: skip
    assert meta["finalizers"] == [RESOURCES_FINALIZER]
    assert apps[1]["spec"]["destination"]["server"] == "https://prod"
    preserved = desired_applications(appset(preserveResourcesOnDeletion=True), PARAMS, TemplateRenderer())
    assert preserved[0]["metadata"]["finalizers"] == []


def test_duplicate_and_invalid_names_are_refused() -> None:
    with pytest.raises(SpecError, match="both render Application 'dev-guestbook'"):
        desired_applications(APPSET, [PARAMS[0], PARAMS[0]], TemplateRenderer())
    with pytest.raises(SpecError, match="not a valid name"):
        desired_applications(APPSET, [{"name": "Dev_1", "server": "s"}], TemplateRenderer())
    with pytest.raises(SpecError, match="applicationsSync 'always'"):
        sync_policy(appset(applicationsSync="always"))


def existing_apps(spec_change: bool = False) -> list[dict]:
    apps = desired_applications(APPSET, PARAMS, TemplateRenderer())
    apps[0]["metadata"]["resourceVersion"] = "7"
    apps[0]["metadata"]["annotations"] = {"argocd.argoproj.io/refresh": "hard"}
    apps[0]["status"] = {"sync": {"status": "Synced"}}
    if spec_change:
        apps[0]["spec"]["source"]["path"] = "old"
    stale = copy.deepcopy(apps[1])
    stale["metadata"]["name"] = "gone-guestbook"
    foreign = {"metadata": {"name": "prod-guestbook", "namespace": "bosun"}, "spec": {}}
    return [apps[0], stale, foreign]


@pytest.mark.parametrize(
    "policy, updates, deletes",
    [("sync", ["dev-guestbook"], ["gone-guestbook"]), ("create-update", ["dev-guestbook"], []),
     ("create-delete", [], ["gone-guestbook"]), ("create-only", [], [])],
)  # fmt: skip
def test_policies(policy: str, updates: list[str], deletes: list[str]) -> None:
    desired = desired_applications(
        APPSET, [*PARAMS, {"name": "qa", "server": "https://qa"}], TemplateRenderer()
    )
    plan = plan_writes(APPSET, desired, existing_apps(spec_change=True), policy)
    assert [a["metadata"]["name"] for a in plan.create] == ["qa-guestbook"]
    assert [a["metadata"]["name"] for a in plan.update] == updates
    assert plan.delete == deletes
    assert plan.conflicts == [
        "Application prod-guestbook already exists and is not owned by ApplicationSet guestbook"
    ]
    for app in plan.update:
        assert app["spec"]["source"]["path"] == "guestbook" and app["metadata"]["resourceVersion"] == "7"
        assert (
            app["metadata"]["annotations"] == {"argocd.argoproj.io/refresh": "hard"} and "status" not in app
        )


def test_unchanged_apps_are_not_rewritten() -> None:
    desired = desired_applications(APPSET, PARAMS[:1], TemplateRenderer())
    plan = plan_writes(APPSET, desired, existing_apps()[:1], "sync")
    assert plan.update == [] and plan.unchanged == ["dev-guestbook"] and plan.create == []
