"""Server-side apply meeting kubectl history: the last-applied annotation kept current, objects no manager
tracks (before-first-apply), and the upgrade from client-side apply taking its last-applied fields."""

from __future__ import annotations

import json

import pytest
from ssa_support import CONFIGMAP, T0, T1, apply, cm, entries, entry

from kubesim.apply import record_update
from kubesim.errors import ApiError


def test_kubectl_keeps_an_existing_last_applied_annotation_current() -> None:
    annotated = cm(a="1")
    annotated["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    record_update(
        None, annotated, manager="kubectl-client-side-apply", operation="Update", rt=CONFIGMAP, now=T0
    )
    result = apply(annotated, cm(a="2"), manager="kubectl", force=True, now=T1)
    text = result["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert text.endswith("\n") and json.loads(text) == cm(a="2")
    other = apply(annotated, cm(a="2"), manager="other", force=True)
    assert other["metadata"]["annotations"] == annotated["metadata"]["annotations"]


def test_applying_to_an_untracked_object_gives_its_fields_to_before_first_apply() -> None:
    untracked = cm(a="1", b="2")
    with pytest.raises(ApiError) as caught:
        apply(untracked, cm(a="9"), manager="bosun", now=T1)
    assert (
        caught.value.message
        == 'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a'
    )
    shared = apply(untracked, cm(a="1"), manager="bosun", now=T1)
    assert [(e["manager"], e["operation"]) for e in entries(shared)] == [
        ("bosun", "Apply"),
        ("before-first-apply", "Update"),
    ]


def test_kubectl_upgrading_from_client_side_apply_takes_its_last_applied_fields() -> None:
    live = cm(a="1", b="2")
    live["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(cm(a="1"))
    }
    record_update(None, live, manager="kubectl-client-side-apply", operation="Update", rt=CONFIGMAP, now=T0)
    upgraded = apply(live, cm(a="3"), manager="kubectl", now=T1)
    assert upgraded["data"] == {"a": "3", "b": "2"}
    assert entry(upgraded, "kubectl")["fieldsV1"] == {"f:data": {"f:a": {}}}
    with pytest.raises(ApiError) as caught:
        apply(live, cm(b="3"), manager="kubectl", now=T1)  # b is not in the last-applied configuration
    assert caught.value.message.endswith('conflict with "kubectl-client-side-apply" using v1: .data.b')
    with pytest.raises(ApiError):
        apply(live, cm(a="3"), manager="not-kubectl", now=T1)
