"""Tracking: Argo CD's annotation value format, copies not tracked, the selector label, kinds to list."""

from __future__ import annotations

import pytest

from gitops.tracking import (
    APP_LABEL,
    KindRef,
    ResourceKey,
    app_label_value,
    kinds_to_list,
    label_selector,
    mark,
    parse_tracking_value,
    tracked_by,
    tracking_value,
)

DEPLOYMENT = ResourceKey("apps", "Deployment", "prod", "web")


def test_value_format_matches_argo_cd() -> None:
    assert tracking_value("guestbook", DEPLOYMENT) == "guestbook:apps/Deployment:prod/web"
    assert (
        tracking_value("guestbook", ResourceKey("", "ConfigMap", "prod", "cfg"))
        == "guestbook:/ConfigMap:prod/cfg"
    )
    assert (
        tracking_value("guestbook", ResourceKey("", "Namespace", "", "prod")) == "guestbook:/Namespace:/prod"
    )


@pytest.mark.parametrize(
    "value",
    [
        "guestbook:apps/Deployment:prod/web",
        "guestbook:/Namespace:/prod",
        "a:rbac.authorization.k8s.io/ClusterRole:/x",
    ],
)
def test_parse_round_trips(value: str) -> None:
    parsed = parse_tracking_value(value)
    assert parsed is not None and str(parsed) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "guestbook",
        "guestbook:apps/Deployment",
        "guestbook:Deployment:prod/web",
        "guestbook:apps/Deployment:web",
        ":apps/Deployment:prod/web",
    ],
)
def test_malformed_values_track_nothing(value: str | None) -> None:
    assert parse_tracking_value(value) is None


def test_mark_adds_annotation_and_label_without_mutating_input() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
    }
    marked = mark(obj, "guestbook", DEPLOYMENT)
    assert marked["metadata"]["annotations"] == {
        "bosun.dev/tracking-id": "guestbook:apps/Deployment:prod/web"
    }
    assert marked["metadata"]["labels"] == {"app": "web", APP_LABEL: "guestbook"}
    assert obj["metadata"] == {"name": "web", "namespace": "prod", "labels": {"app": "web"}}
    assert tracked_by(marked, DEPLOYMENT) == "guestbook"


def test_custom_annotation_key() -> None:
    marked = mark({"metadata": {"name": "web"}}, "a", DEPLOYMENT, annotation="example.com/owner")
    assert tracked_by(marked, DEPLOYMENT, "example.com/owner") == "a"
    assert tracked_by(marked, DEPLOYMENT) is None


def test_copied_object_is_not_tracked() -> None:
    """A manifest copied with its annotation names another object: not tracked, never pruned."""
    copied = mark({"metadata": {"name": "web-copy"}}, "guestbook", DEPLOYMENT)
    assert tracked_by(copied, ResourceKey("apps", "Deployment", "prod", "web-copy")) is None
    assert tracked_by(copied, ResourceKey("apps", "Deployment", "staging", "web")) is None
    assert tracked_by(copied, ResourceKey("apps", "StatefulSet", "prod", "web")) is None


def test_label_value_is_the_name_or_a_stable_hash() -> None:
    assert app_label_value("guestbook") == "guestbook"
    long_name = "a" * 64
    hashed = app_label_value(long_name)
    assert hashed == app_label_value(long_name) and len(hashed) <= 63 and hashed != app_label_value("b" * 64)
    invalid = app_label_value("team/app:prod")
    assert invalid.startswith("h") and invalid.isalnum()
    assert label_selector("guestbook") == "bosun.dev/app=guestbook"


def test_kinds_to_list_merges_desired_and_previous_status() -> None:
    desired = [
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "apps/v1", "kind": "Deployment"},
        {"apiVersion": "v1", "kind": "Service"},
    ]
    previous = [
        {"group": "apps", "version": "v1", "kind": "Deployment", "name": "old"},
        {"group": "", "version": "v1", "kind": "ConfigMap", "name": "gone-from-git"},
        {"group": "batch", "version": "v1", "kind": "Job", "name": "x"},
    ]
    assert kinds_to_list(desired, previous) == [
        KindRef("v1", "ConfigMap"),
        KindRef("v1", "Service"),
        KindRef("apps/v1", "Deployment"),
        KindRef("batch/v1", "Job"),
    ]
