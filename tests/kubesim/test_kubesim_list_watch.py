"""LIST with label/field selectors, all namespaces, limit/continue; WATCH from a resourceVersion with
ADDED/MODIFIED/DELETED, selector transitions, BOOKMARKs, 410 Expired and timeoutSeconds."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from kubesim.testing import KubesimServer


def _cm(name: str, namespace: str = "default", **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace, labels=labels or None)
    )


@pytest.fixture
def labelled(kubesim_server: KubesimServer) -> client.CoreV1Api:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="other")))
    v1.create_namespaced_config_map("default", _cm("a", tier="web", env="prod", rank="3"))
    v1.create_namespaced_config_map("default", _cm("b", tier="db", env="prod", rank="7"))
    v1.create_namespaced_config_map("default", _cm("c", tier="web"))
    v1.create_namespaced_config_map("default", _cm("d"))
    v1.create_namespaced_config_map("other", _cm("e", "other", tier="web", env="dev"))
    return v1


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", ["a", "c"]),
        ("tier==web", ["a", "c"]),
        ("tier!=web", ["b", "d"]),
        ("tier in (web,db)", ["a", "b", "c"]),
        ("tier notin (web)", ["b", "d"]),
        ("env", ["a", "b"]),
        ("!env", ["c", "d"]),
        ("tier=web,env=prod", ["a"]),
        ("tier in (web), !env", ["c"]),
        ("rank>5", ["b"]),
        ("rank<5", ["a"]),
    ],
)
def test_label_selectors(labelled: client.CoreV1Api, selector: str, expected: list[str]) -> None:
    items = labelled.list_namespaced_config_map("default", label_selector=selector).items
    assert [i.metadata.name for i in items] == expected


def test_invalid_label_selector_is_400(labelled: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as err:
        labelled.list_namespaced_config_map("default", label_selector="tier in web")
    assert err.value.status == 400 and json.loads(err.value.body)["reason"] == "BadRequest"


def test_field_selectors(labelled: client.CoreV1Api) -> None:
    assert [i.metadata.name for i in labelled.list_namespaced_config_map(
        "default", field_selector="metadata.name=b").items] == ["b"]  # fmt: skip
    assert [i.metadata.name for i in labelled.list_namespaced_config_map(
        "default", field_selector="metadata.name!=b").items] == ["a", "c", "d"]  # fmt: skip
    everywhere = labelled.list_config_map_for_all_namespaces(field_selector="metadata.namespace=other")
    assert [i.metadata.name for i in everywhere.items] == ["e"]
    with pytest.raises(ApiException) as err:
        labelled.list_namespaced_config_map("default", field_selector="spec.foo=bar")
    assert err.value.status == 400
    assert json.loads(err.value.body)["message"] == "field label not supported: spec.foo"


def test_all_namespaces_with_selector(labelled: client.CoreV1Api) -> None:
    items = labelled.list_config_map_for_all_namespaces(label_selector="tier=web").items
    assert [(i.metadata.namespace, i.metadata.name) for i in items] == [("default", "a"), ("default", "c"),
                                                                        ("other", "e")]  # fmt: skip


def test_limit_and_continue(labelled: client.CoreV1Api) -> None:
    first = labelled.list_namespaced_config_map("default", limit=3)
    assert [i.metadata.name for i in first.items] == ["a", "b", "c"]
    assert first.metadata._continue and first.metadata.remaining_item_count == 1
    second = labelled.list_namespaced_config_map("default", limit=3, _continue=first.metadata._continue)
    assert [i.metadata.name for i in second.items] == ["d"] and not second.metadata._continue
    with pytest.raises(ApiException) as err:
        labelled.list_namespaced_config_map("default", limit=3, _continue="garbage!")
    assert err.value.status == 400


def test_watch_from_resource_version(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    start = v1.list_namespaced_config_map("default").metadata.resource_version
    v1.create_namespaced_config_map("default", _cm("w", app="x"))
    v1.patch_namespaced_config_map("w", "default", {"data": {"k": "v"}})
    v1.delete_namespaced_config_map("w", "default")
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        v1.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=1)]  # fmt: skip
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_streams_live_events_and_honours_timeout(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    writer = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("before"))

    def write_later() -> None:
        time.sleep(0.3)
        writer.create_namespaced_config_map("default", _cm("after"))

    threading.Thread(target=write_later).start()
    started = time.monotonic()
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        v1.list_namespaced_config_map, "default", timeout_seconds=2)]  # fmt: skip
    elapsed = time.monotonic() - started
    assert events == [("ADDED", "before"), ("ADDED", "after")]  # no resourceVersion: current state first
    assert 1.5 < elapsed < 30  # the server ends the stream after timeoutSeconds


def test_watch_with_selector_sees_objects_leave_and_enter(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    start = v1.list_namespaced_config_map("default").metadata.resource_version
    v1.create_namespaced_config_map("default", _cm("s", app="x"))
    v1.patch_namespaced_config_map("s", "default", {"metadata": {"labels": {"app": "y"}}})
    v1.patch_namespaced_config_map("s", "default", {"metadata": {"labels": {"app": "x"}}})
    events = [e["type"] for e in watch.Watch().stream(
        v1.list_namespaced_config_map, "default", label_selector="app=x", resource_version=start,
        timeout_seconds=1)]  # fmt: skip
    assert events == ["ADDED", "DELETED", "ADDED"]


def test_watch_bookmarks(kubesim_factory: object) -> None:
    server = kubesim_factory(bookmark_interval=0.2)  # type: ignore[operator]
    start = httpx.get(server.url + "/api/v1/namespaces/default/configmaps").json()["metadata"][
        "resourceVersion"
    ]
    lines = []
    with httpx.stream("GET", server.url + "/api/v1/namespaces/default/configmaps", params={
            "watch": "true", "resourceVersion": start, "allowWatchBookmarks": "true", "timeoutSeconds": "1"},
            timeout=10) as response:  # fmt: skip
        for line in response.iter_lines():
            if line:
                lines.append(json.loads(line))
    assert lines and {e["type"] for e in lines} == {"BOOKMARK"}
    assert lines[0]["object"]["kind"] == "ConfigMap" and lines[0]["object"]["metadata"]["resourceVersion"]


def test_watch_from_too_old_version_is_410(kubesim_factory: object) -> None:
    server = kubesim_factory(watch_window=5)  # type: ignore[operator]
    v1 = client.CoreV1Api(server.api_client())
    start = v1.list_namespaced_config_map("default").metadata.resource_version
    for i in range(10):
        v1.create_namespaced_config_map("default", _cm(f"n{i}"))
    with pytest.raises(ApiException) as err:
        list(watch.Watch().stream(v1.list_namespaced_config_map, "default", resource_version=start,
                                  timeout_seconds=1))  # fmt: skip
    assert err.value.status == 410
    raw = httpx.get(server.url + "/api/v1/namespaces/default/configmaps",
                    params={"watch": "1", "resourceVersion": start})  # fmt: skip
    event = json.loads(raw.text.splitlines()[0])
    assert (
        event["type"] == "ERROR" and event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    )


def test_watch_all_namespaces_and_cluster_scoped(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    start = v1.list_namespace().metadata.resource_version
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="w1")))
    v1.create_namespaced_config_map("w1", _cm("x", "w1"))
    ns_events = [e["object"].metadata.name for e in watch.Watch().stream(
        v1.list_namespace, resource_version=start, timeout_seconds=1)]  # fmt: skip
    assert ns_events == ["w1"]
    cm_events = [e["object"].metadata.name for e in watch.Watch().stream(
        v1.list_config_map_for_all_namespaces, resource_version=start, timeout_seconds=1)]  # fmt: skip
    assert cm_events == ["x"]


def test_watch_list_sends_initial_events_then_end_bookmark(kubesim_server: KubesimServer) -> None:
    v1 = client.CoreV1Api(kubesim_server.api_client())
    v1.create_namespaced_config_map("default", _cm("one"))
    v1.create_namespaced_config_map("default", _cm("two"))
    params = {"watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
              "allowWatchBookmarks": "true", "timeoutSeconds": "1"}  # fmt: skip
    with httpx.stream("GET", kubesim_server.url + "/api/v1/namespaces/default/configmaps", params=params,
                      timeout=10) as response:  # fmt: skip
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in events[:3]] == [
        ("ADDED", "one"), ("ADDED", "two"), ("BOOKMARK", None)]  # fmt: skip
    assert events[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_legacy_watch_path(kubesim_server: KubesimServer) -> None:
    start = httpx.get(kubesim_server.url + "/api/v1/namespaces/default/configmaps").json()["metadata"][
        "resourceVersion"
    ]
    client.CoreV1Api(kubesim_server.api_client()).create_namespaced_config_map("default", _cm("legacy"))
    response = httpx.get(kubesim_server.url + "/api/v1/watch/namespaces/default/configmaps",
                         params={"resourceVersion": start, "timeoutSeconds": "1"}, timeout=10)  # fmt: skip
    events = [json.loads(line) for line in response.text.splitlines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "legacy")]


def test_pages_come_from_one_snapshot(labelled: client.CoreV1Api) -> None:
    first = labelled.list_namespaced_config_map("default", limit=2)
    assert [i.metadata.name for i in first.items] == ["a", "b"]
    labelled.delete_namespaced_config_map("c", "default")
    labelled.create_namespaced_config_map("default", _cm("bb"))
    second = labelled.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    assert [i.metadata.name for i in second.items] == ["c", "d"]  # as of the first page's resourceVersion
    assert second.metadata.resource_version == first.metadata.resource_version


def test_too_old_continue_token_is_410(kubesim_factory: object) -> None:
    server = kubesim_factory(watch_window=3)  # type: ignore[operator]
    v1 = client.CoreV1Api(server.api_client())
    for i in range(3):
        v1.create_namespaced_config_map("default", _cm(f"p{i}"))
    first = v1.list_namespaced_config_map("default", limit=1)
    v1.list_namespaced_config_map("default", limit=1, _continue=first.metadata._continue)  # uses the snapshot
    for i in range(5):
        v1.create_namespaced_config_map("default", _cm(f"q{i}"))
    with pytest.raises(ApiException) as err:
        v1.list_namespaced_config_map("default", limit=1, _continue=first.metadata._continue)
    assert err.value.status == 410 and json.loads(err.value.body)["reason"] == "Expired"


def test_equality_selectors_follow_relabels_deletes_and_pages(labelled: client.CoreV1Api) -> None:
    """LISTs by `key=value` are served from a label index: it must follow every write."""

    def names(selector: str, namespace: str | None = None, **kw: object) -> list[str]:
        if namespace:
            found = labelled.list_namespaced_config_map(namespace, label_selector=selector, **kw)
        else:
            found = labelled.list_config_map_for_all_namespaces(label_selector=selector, **kw)
        return [item.metadata.name for item in found.items]

    assert names("tier=web") == ["a", "c", "e"]
    labelled.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"tier": "db"}}})
    assert names("tier=web") == ["c", "e"] and names("tier=db,env=prod", "default") == ["a", "b"]
    labelled.delete_namespaced_config_map("c", "default")
    assert names("tier=web") == ["e"] and names("tier=web,env!=dev") == []
    assert names("tier in (db),env=prod", "default") == ["a", "b"]
    first = labelled.list_namespaced_config_map("default", label_selector="env=prod", limit=1)
    assert [i.metadata.name for i in first.items] == ["a"] and first.metadata._continue
    rest = labelled.list_namespaced_config_map(
        "default", label_selector="env=prod", _continue=first.metadata._continue
    )
    assert [i.metadata.name for i in rest.items] == ["b"]
    labelled.patch_namespaced_config_map("d", "default", {"metadata": {"labels": {"tier": "web"}}})
    assert names("tier=web") == ["d", "e"] and names("nope=x") == []
