"""An ApplicationSet with a cluster generator deploys one app to dev, staging and prod kubesim
clusters registered through cluster Secrets; a new cluster Secret adds a fourth app; policies,
ownership and errors, against a real API server (kubesim). The set controller runs in the test
process; syncs go through the real SyncEngine (tests/fleet/driver.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from gitops.appsets.plan import RESOURCES_FINALIZER

from .appset_support import Fleet, template

pytestmark = pytest.mark.slow

CLUSTER_SET = {
    "metadata": {"name": "guestbook"},
    "spec": {
        "generators": [{"clusters": {"selector": {"matchLabels": {"fleet": "web"}}}}],
        "template": template("{{name}}-guestbook", {"server": "{{server}}"}, "guestbook"),
    },
}


def test_cluster_generator_deploys_to_every_cluster_and_follows_new_secrets(
    kubesim_factory: Callable[..., Any],
) -> None:
    fleet = Fleet(kubesim_factory)
    for env in ("dev", "staging", "prod"):
        fleet.add_cluster(env, fleet="web", env=env)
    fleet.add_cluster("lab", env="lab")  # not selected
    created = fleet.create_appset(CLUSTER_SET)
    report = fleet.controller.reconcile("guestbook")
    assert sorted(report.created) == ["dev-guestbook", "prod-guestbook", "staging-guestbook"], report.summary
    apps = fleet.apps()
    for env in ("dev", "staging", "prod"):
        app = apps[f"{env}-guestbook"]
        assert app["spec"]["destination"] == {"server": fleet.clusters[env].url, "namespace": "guestbook"}
        owner = app["metadata"]["ownerReferences"][0]
        assert (
            owner["kind"],
            owner["name"],
            owner["uid"],
            owner["controller"],
            owner["blockOwnerDeletion"],
        ) == ("ApplicationSet", "guestbook", created["metadata"]["uid"], True, True)
        assert app["metadata"]["finalizers"] == [RESOURCES_FINALIZER]
        assert fleet.driver.sync(f"{env}-guestbook") == (True, "Succeeded")
        assert fleet.configmap(env, "guestbook", "settings") is not None
    assert fleet.configmap("lab", "guestbook", "settings") is None
    status = fleet.appset("guestbook")["status"]
    assert {r["name"] for r in status["resources"]} == {
        "dev-guestbook",
        "staging-guestbook",
        "prod-guestbook",
    }
    assert next(c for c in status["conditions"] if c["type"] == "ErrorOccurred")["status"] == "False"

    fleet.add_cluster("qa", fleet="web", env="qa")
    again = fleet.controller.reconcile("guestbook")
    assert again.created == ["qa-guestbook"] and again.updated == [] and again.deleted == []
    assert fleet.driver.sync("qa-guestbook") == (True, "Succeeded")
    assert fleet.configmap("qa", "guestbook", "settings") is not None
    assert fleet.controller.reconcile("guestbook").unchanged == sorted(
        ["dev-guestbook", "prod-guestbook", "qa-guestbook", "staging-guestbook"]
    )

    # Deleting the set: garbage collection deletes its Applications (ownerReferences), whose resources
    # finalizer then deletes what they deployed.
    fleet.api.delete_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "applicationsets", "guestbook"
    )
    deadline = time.monotonic() + 30
    while fleet.apps():
        assert time.monotonic() < deadline, f"apps left: {sorted(fleet.apps())}"
        fleet.driver.finalize_all()
        time.sleep(0.1)
    for env in ("dev", "staging", "prod", "qa"):
        assert fleet.configmap(env, "guestbook", "settings") is None


def test_policies_and_conflicts_against_the_api_server(kubesim_factory: Callable[..., Any]) -> None:
    fleet = Fleet(kubesim_factory)
    elements = [{"env": "a"}, {"env": "b"}]
    doc = {"metadata": {"name": "lists"}, "spec": {
        "generators": [{"list": {"elements": elements}}],
        "template": template("{{env}}-app", {"server": "https://kubernetes.default.svc"}, "{{env}}"),
        "syncPolicy": {"applicationsSync": "create-only", "preserveResourcesOnDeletion": True}}}  # fmt: skip
    fleet.driver.create_app(
        "b-app", {"server": "https://kubernetes.default.svc", "namespace": "x"}, "configmap-one.yaml"
    )
    fleet.create_appset(doc)
    report = fleet.controller.reconcile("lists")
    assert report.created == ["a-app"] and "b-app already exists and is not owned" in report.message
    assert fleet.apps()["a-app"]["metadata"].get("finalizers") in (None, [])  # preserveResourcesOnDeletion
    conditions = {c["type"]: c for c in fleet.appset("lists")["status"]["conditions"]}
    assert (
        conditions["ErrorOccurred"]["status"] == "True"
        and "not owned" in conditions["ErrorOccurred"]["message"]
    )
    # create-only: a template change does not update, a removed element does not delete
    fleet.patch_appset("lists", {"spec": {"generators": [{"list": {"elements": [{"env": "c"}]}}],
                                          "template": {"spec": {"source": {"path": "changed"}}}}})  # fmt: skip
    report = fleet.controller.reconcile("lists")
    assert report.created == ["c-app"] and report.deleted == [] and report.updated == []
    assert fleet.apps()["a-app"]["spec"]["source"]["path"] == "guestbook"
    # sync: update and delete
    fleet.patch_appset("lists", {"spec": {"syncPolicy": {"applicationsSync": "sync"},
                                          "template": {"spec": {"source": {"path": "v2"}}}}})  # fmt: skip
    report = fleet.controller.reconcile("lists")
    assert report.deleted == ["a-app"] and report.updated == ["c-app"]
    assert fleet.apps()["c-app"]["spec"]["source"]["path"] == "v2" and "a-app" not in fleet.apps()
    assert "b-app" in fleet.apps()  # never touched: not owned


def test_a_broken_set_changes_nothing_and_says_why(kubesim_factory: Callable[..., Any]) -> None:
    fleet = Fleet(kubesim_factory)
    doc = {"metadata": {"name": "dupes"}, "spec": {
        "generators": [{"list": {"elements": [{"env": "a"}, {"env": "b"}]}}],
        "template": template("same-app", {"server": "https://kubernetes.default.svc"}, "{{env}}")}}  # fmt: skip
    fleet.create_appset(doc)
    report = fleet.controller.reconcile("dupes")
    assert report.outcome == "error" and "both render Application 'same-app'" in report.message
    assert fleet.apps() == {}
    conditions = {c["type"]: c for c in fleet.appset("dupes")["status"]["conditions"]}
    assert (
        conditions["ErrorOccurred"]["status"] == "True"
        and "same-app" in conditions["ErrorOccurred"]["message"]
    )
    assert fleet.controller.reconcile("missing").outcome == "gone"
