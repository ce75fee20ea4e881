"""Server-side apply of lists as kube-apiserver does it: associative lists merge by key (defaulted keys
match live items), atomic lists are replaced, sets merge, an item without its key is rejected."""

from __future__ import annotations

import pytest
from ssa_support import DEPLOYMENT, T1, T2, apply, cm, deployment, entry

from kubesim.errors import ApiError


def test_associative_lists_merge_by_key_and_dropped_items_go() -> None:
    two = deployment()
    two["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "side:1"})
    live = apply(None, two, manager="a", rt=DEPLOYMENT)
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "X", "value": "1"}]}]}}}}  # fmt: skip
    live = apply(live, other, manager="b", rt=DEPLOYMENT, now=T1)
    web = live["spec"]["template"]["spec"]["containers"][0]
    assert web["image"] == "nginx:1" and web["env"] == [{"name": "X", "value": "1"}]
    result = apply(live, deployment(), manager="a", rt=DEPLOYMENT, now=T2)
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == ["web"]
    assert result["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}]


def test_atomic_lists_are_replaced_and_sets_merge() -> None:
    live = apply(None, deployment(args=["--a", "--b"]), manager="a", rt=DEPLOYMENT)
    result = apply(live, deployment(args=["--c"]), manager="a", rt=DEPLOYMENT, now=T1)
    assert result["spec"]["template"]["spec"]["containers"][0]["args"] == ["--c"]
    fin = cm(a="1")
    fin["metadata"]["finalizers"] = ["x/one"]
    live = apply(None, fin, manager="a")
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "finalizers": ["x/two"]}}
    both = apply(live, other, manager="b")
    assert both["metadata"]["finalizers"] == ["x/one", "x/two"]
    assert entry(both, "b")["fieldsV1"] == {"f:metadata": {"f:finalizers": {'v:"x/two"': {}}}}


def test_list_item_without_key_is_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        apply(
            None,
            deployment(replicas=1) | {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            rt=DEPLOYMENT,
        )
    assert caught.value.code == 500
    assert caught.value.message.startswith(
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
    )
    assert 'omits key field "name"' in caught.value.message


def test_defaulted_key_fields_match_live_items() -> None:
    live = apply(None, deployment(ports=[{"containerPort": 80}]), manager="a", rt=DEPLOYMENT)
    live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP"  # defaulting
    result = apply(
        live, deployment(ports=[{"containerPort": 80, "name": "http"}]), manager="a", rt=DEPLOYMENT, now=T1
    )
    assert result["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP", "name": "http"}
    ]
    container = entry(result, "a")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"web"}'
    ]
    assert container["f:ports"] == {
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}, "f:name": {}}
    }
