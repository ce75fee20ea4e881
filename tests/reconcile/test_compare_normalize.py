"""Pure pieces of compare: quantities, Secret folding, the cheap proof, managedFields paths, ignore rules, diffs."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gitops.compare.diff import unified_diff
from gitops.compare.fields import has_path, leaf_paths, remove_path
from gitops.compare.ignore import IgnoreRule, respect_ignored, strip_ignored
from gitops.compare.normalize import clean, covers, fold_string_data, quantities_equal
from gitops.compare.predict import predict_live, proves_synced
from gitops.errors import SpecError


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1000m", "1"),
        ("0.5", "500m"),
        (0.5, "500m"),
        ("1024Mi", "1Gi"),
        (2, "2"),
        ("1e3", "1k"),
        ("1.5Gi", "1536Mi"),
    ],
)
def test_equal_quantities(a: object, b: object) -> None:
    assert quantities_equal(a, b)


@pytest.mark.parametrize(("a", "b"), [("1", "2"), ("1Gi", "1G"), ("100m", "1"), ("abc", "abc"), (True, "1")])
def test_different_quantities(a: object, b: object) -> None:
    assert not quantities_equal(a, b)


def test_covers_ignores_server_defaults_and_compares_quantities_by_value() -> None:
    desired = {
        "spec": {
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}}
                    ]
                }
            },
        }
    }
    live = {
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "spec": {
                    "dnsPolicy": "ClusterFirst",
                    "containers": [
                        {
                            "name": "a",
                            "imagePullPolicy": "Always",
                            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                        }
                    ],
                }
            },
        }
    }
    assert covers(desired, live)
    live["spec"]["replicas"] = 3
    assert not covers(desired, live)


def test_covers_does_not_apply_quantity_equality_outside_resources() -> None:
    assert not covers({"data": {"value": "1000m"}}, {"data": {"value": "1"}})
    assert covers(
        {"spec": {"resources": {"requests": {"storage": "1Gi"}}}},
        {"spec": {"resources": {"requests": {"storage": "1024Mi"}}}},
    )


def test_covers_lists_need_same_length_and_empty_values_match_absent() -> None:
    assert not covers({"args": ["a"]}, {"args": ["a", "b"]})
    assert covers({"metadata": {"annotations": {}}, "env": [], "x": None}, {"metadata": {}})
    assert not covers({"env": []}, {"env": [{"name": "A"}]})


def test_secret_string_data_is_folded_into_base64_data() -> None:
    secret = {"kind": "Secret", "data": {"a": "eA=="}, "stringData": {"password": "hunter2"}}
    folded = fold_string_data(secret)
    assert folded["data"] == {"a": "eA==", "password": base64.b64encode(b"hunter2").decode()}
    assert "stringData" not in folded and "stringData" in secret


def test_clean_drops_status_and_server_metadata() -> None:
    live = {
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "uid": "u",
            "resourceVersion": "9",
            "managedFields": [],
            "creationTimestamp": "t",
            "generation": 1,
            "annotations": {},
        },
        "status": {},
    }
    assert clean(live) == {"kind": "ConfigMap", "metadata": {"name": "c"}}


FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}}
        },
    },
}


def test_fields_v1_leaf_paths_and_navigation() -> None:
    paths = list(leaf_paths(FIELDS))
    assert paths == [
        (("f", "metadata"), ("f", "labels"), ("f", "app")),
        (("f", "spec"), ("f", "replicas")),
        (
            ("f", "spec"),
            ("f", "template"),
            ("f", "spec"),
            ("f", "containers"),
            ("k", {"name": "web"}),
            ("f", "image"),
        ),
        (
            ("f", "spec"),
            ("f", "template"),
            ("f", "spec"),
            ("f", "containers"),
            ("k", {"name": "web"}),
            ("f", "name"),
        ),
    ]
    obj = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "web", "image": "a"}, {"name": "side", "image": "b"}]}
            }
        }
    }
    image = (
        ("f", "spec"),
        ("f", "template"),
        ("f", "spec"),
        ("f", "containers"),
        ("k", {"name": "web"}),
        ("f", "image"),
    )
    assert has_path(obj, image)
    remove_path(obj, image[:-1])
    assert obj["spec"]["template"]["spec"]["containers"] == [{"name": "side", "image": "b"}]


def owned(obj: dict, fields: dict, manager: str = "bosun") -> dict:
    obj = dict(obj)
    obj["metadata"] = {
        **obj.get("metadata", {}),
        "managedFields": [{"manager": manager, "operation": "Apply", "fieldsV1": fields}],
    }
    return obj


def test_proof_needs_every_owned_field_still_in_git() -> None:
    target: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"labels": {"app": "x"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "a"}]}}},
    }
    live = owned({**target, "spec": {**target["spec"], "paused": False}}, FIELDS)
    assert proves_synced(target, live, True, "bosun")
    dropped = {**target, "spec": {"template": target["spec"]["template"]}}  # replicas removed from Git
    assert not proves_synced(dropped, live, True, "bosun")
    assert not proves_synced(target, live, True, "another-manager")  # nothing owned: no proof


def test_predicted_live_removes_fields_git_dropped_and_keeps_defaults() -> None:
    live = owned(
        {
            "kind": "Deployment",
            "metadata": {"labels": {"app": "x"}},
            "spec": {"replicas": 2, "strategy": {"type": "RollingUpdate"}},
        },
        {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:replicas": {}}},
    )
    predicted = predict_live(
        {"kind": "Deployment", "metadata": {"labels": {"app": "x"}}, "spec": {}}, live, True, "bosun"
    )
    assert predicted["spec"] == {"strategy": {"type": "RollingUpdate"}}
    assert live["spec"]["replicas"] == 2


def test_ignore_rule_validation_names_the_problem() -> None:
    with pytest.raises(SpecError, match="jq"):
        IgnoreRule.parse({"kind": "Deployment", "jqPathExpressions": [".spec["]}, app="guestbook")
    with pytest.raises(SpecError, match="must start with"):
        IgnoreRule.parse({"kind": "Deployment", "jsonPointers": ["spec/replicas"]})
    with pytest.raises(SpecError, match="kind"):
        IgnoreRule.parse({"group": "apps"})


def test_strip_ignored_pointers_jq_and_managers() -> None:
    obj = owned(
        {
            "spec": {
                "replicas": 3,
                "template": {
                    "metadata": {"annotations": {"a/b": "1", "keep": "2"}},
                    "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]},
                },
            }
        },
        {"f:spec": {"f:replicas": {}}},
        manager="kube-controller-manager",
    )
    rules = [
        IgnoreRule.parse(
            {"kind": "Deployment", "jsonPointers": ["/spec/template/metadata/annotations/a~1b"]}
        ),
        IgnoreRule.parse(
            {"kind": "Deployment", "jqPathExpressions": [".spec.template.spec.containers[].image"]}
        ),
        IgnoreRule.parse({"kind": "Deployment", "managedFieldsManagers": ["kube-controller-manager"]}),
    ]
    stripped = strip_ignored(obj, rules, obj)
    assert "replicas" not in stripped["spec"]
    assert stripped["spec"]["template"]["metadata"]["annotations"] == {"keep": "2"}
    assert stripped["spec"]["template"]["spec"]["containers"] == [{"name": "a"}, {"name": "b"}]
    assert obj["spec"]["replicas"] == 3  # input untouched


def test_rule_matching_by_group_kind_name_namespace() -> None:
    rule = IgnoreRule.parse(
        {
            "group": "apps",
            "kind": "Deployment",
            "name": "web",
            "namespace": "prod",
            "jsonPointers": ["/spec/replicas"],
        }
    )
    assert rule.matches("apps", "Deployment", "prod", "web")
    assert not rule.matches("apps", "Deployment", "prod", "api")
    assert not rule.matches("", "Deployment", "prod", "web")
    assert IgnoreRule.parse({"kind": "ConfigMap"}).matches("", "ConfigMap", "x", "y")


def test_respect_ignored_takes_live_values() -> None:
    rules = [
        IgnoreRule.parse(
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas", "/spec/paused"]}
        )
    ]
    desired = {"spec": {"replicas": 1, "paused": True, "template": {}}}
    live = {"spec": {"replicas": 5, "template": {}}}
    assert respect_ignored(desired, live, rules) == {"spec": {"replicas": 5, "template": {}}}
    assert respect_ignored(desired, None, rules) == desired


def test_diff_shows_the_change_and_masks_secret_values() -> None:
    diff = unified_diff(
        {"kind": "ConfigMap", "data": {"a": "1"}},
        {"kind": "ConfigMap", "data": {"a": "2"}},
        "ConfigMap prod/c",
    )
    assert "-  a: '1'" in diff and "+  a: '2'" in diff and diff.startswith("--- live/ConfigMap prod/c")
    live = {"kind": "Secret", "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="}}
    desired = {"kind": "Secret", "data": {"password": "c2VjcmV0", "user": "YWRtaW4="}}
    diff = unified_diff(live, desired, "Secret prod/s")
    assert "aHVudGVyMg" not in diff and "c2VjcmV0" not in diff and "YWRtaW4" not in diff
    changed = [line for line in diff.splitlines() if line.startswith(("-  ", "+  "))]
    assert len(changed) == 2 and all("password" in line and "+++" in line for line in changed)
    assert unified_diff(live, live, "same") == ""
