"""Fault injection at runtime: error answers per verb and resource, Retry-After, latency, dropped
connections, seeded dice, and the admin endpoint refusing bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubesim.middleware.admin_client import AdminError
from kubesim.middleware.faults import FaultInjector, FaultRule, find_injector
from kubesim.middleware.request_info import request_info
from kubesim.testing import KubesimServer


@pytest.fixture
def server(kubesim_factory: Callable[..., KubesimServer]) -> KubesimServer:
    return kubesim_factory()


def _cm(name: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"k": "v"})


def _status_of(call: Callable[[], object]) -> ApiException:
    with pytest.raises(ApiException) as caught:
        call()
    return caught.value


def test_errors_per_verb_and_resource(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    core.create_namespaced_config_map("default", _cm("target"))
    server.admin.add_fault(verbs=["get"], resources=["configmaps"], error_rate=1.0, status=503, retry_after=1)
    unavailable = _status_of(lambda: core.read_namespaced_config_map("target", "default"))
    assert unavailable.status == 503
    assert unavailable.headers["Retry-After"] == "1"
    assert json.loads(unavailable.body)["reason"] == "ServiceUnavailable"
    assert server.admin.faults()["injected"]["error"] == 4  # urllib3 honours Retry-After: 3 retries
    assert [c.metadata.name for c in core.list_namespaced_config_map("default").items] == [
        "target"
    ]  # list untouched
    core.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="s")))
    server.admin.clear_faults()
    assert core.read_namespaced_config_map("target", "default").data == {"k": "v"}


@pytest.mark.parametrize(
    ("code", "reason"),
    [(500, "InternalError"), (429, "TooManyRequests"), (409, "Conflict"), (504, "Timeout")],
)
def test_each_error_code_is_a_real_status(server: KubesimServer, code: int, reason: str) -> None:
    apps = client.AppsV1Api(server.api_client())
    server.admin.add_fault(verbs=["patch"], resources=["deployments.apps"], error_rate=1.0, status=code)
    error = _status_of(
        lambda: apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"a": "b"}}})
    )
    body = json.loads(error.body)
    assert (error.status, body["code"], body["reason"], body["kind"]) == (code, code, reason, "Status")
    if code == 429:
        assert error.headers["Retry-After"] == "1" and body["details"]["retryAfterSeconds"] == 1
    if code == 409:
        assert body["message"].startswith('Operation cannot be fulfilled on deployments.apps "web"')


def test_rule_fires_a_limited_number_of_times(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    server.admin.add_fault(verbs=["create"], error_rate=1.0, status=500, times=2)
    assert _status_of(lambda: core.create_namespaced_config_map("default", _cm("a"))).status == 500
    assert _status_of(lambda: core.create_namespaced_config_map("default", _cm("a"))).status == 500
    core.create_namespaced_config_map("default", _cm("a"))
    state = server.admin.faults()
    assert state["rules"] == [] and state["injected"]["error"] == 2


def test_latency(server: KubesimServer) -> None:
    core = client.CoreV1Api(server.api_client())
    server.admin.add_fault(verbs=["list"], resources=["configmaps"], latency=0.3)
    started = time.monotonic()
    core.list_namespaced_config_map("default")
    assert time.monotonic() - started >= 0.3


def test_dropped_connection_gets_no_response(server: KubesimServer) -> None:
    rule = server.admin.add_fault(verbs=["list"], resources=["configmaps"], drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.url + "/api/v1/namespaces/default/configmaps")
    server.admin.remove_fault(rule["id"])
    assert httpx.get(server.url + "/api/v1/namespaces/default/configmaps").status_code == 200


def test_seeded_error_rate_is_deterministic(server: KubesimServer) -> None:
    def outcomes() -> list[int]:
        server.admin.set_faults([{"verbs": ["get"], "error_rate": 0.5, "status": 500}], seed=42)
        with httpx.Client(base_url=server.url) as http:
            return [http.get("/api/v1/namespaces/default").status_code for _ in range(20)]

    first = outcomes()
    assert first == outcomes()
    assert set(first) == {200, 500}


def test_admin_refuses_bad_rules_and_changes_nothing(server: KubesimServer) -> None:
    server.admin.add_fault(verbs=["get"], latency=0.0, id="keep")
    for bad in ({"verbs": ["fly"]}, {"status": 418, "error_rate": 1}, {"error_rate": 2}, {"colour": "red"}):
        with pytest.raises(AdminError, match="400"):
            server.admin.add_fault(**bad)
    with pytest.raises(AdminError, match="400"):
        server.admin.set_faults([{"error_rate": 0.1}, {"verbs": ["nope"]}])
    assert [r["id"] for r in server.admin.faults()["rules"]] == ["keep"]
    not_json = httpx.post(
        server.url + "/kubesim/admin/faults", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and json.loads(not_json.text)["reason"] == "BadRequest"
    assert httpx.delete(server.url + "/kubesim/admin/faults/unknown").status_code == 404


def test_python_api_in_process(server: KubesimServer) -> None:
    assert server.running is not None
    injector = find_injector(server.running.app)
    assert injector is not None
    injector.add(FaultRule(resources=["namespaces"], verbs=["get"], error_rate=1.0, status=500))
    assert httpx.get(server.url + "/api/v1/namespaces/default").status_code == 500
    injector.clear()
    assert httpx.get(server.url + "/api/v1/namespaces/default").status_code == 200


def test_matching_unit() -> None:
    injector = FaultInjector(seed=1)
    injector.add(FaultRule(resources=["deployments.apps/status"], namespaces=["prod"], error_rate=1.0))
    hit = request_info(
        {"method": "PUT", "path": "/apis/apps/v1/namespaces/prod/deployments/web/status", "query_string": b""}
    )
    miss = request_info(
        {"method": "PUT", "path": "/apis/apps/v1/namespaces/dev/deployments/web/status", "query_string": b""}
    )
    assert injector.decide(hit).error is not None
    assert injector.decide(miss).error is None
    assert (
        injector.decide(request_info({"method": "GET", "path": "/version", "query_string": b""})).error
        is None
    )


def test_watch_stream_is_cut_after_drop_after(server: KubesimServer) -> None:
    from kubernetes import watch

    core = client.CoreV1Api(server.api_client())
    core.create_namespaced_config_map("default", _cm("seen"))
    server.admin.add_fault(verbs=["watch"], resources=["configmaps"], drop_rate=1.0, drop_after=0.3)
    started = time.monotonic()
    events: list[str] = []
    with pytest.raises(Exception) as caught:  # urllib3 ProtocolError: the stream ended without its last chunk
        for event in watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=20):
            events.append(event["object"].metadata.name)
    assert time.monotonic() - started < 15  # cut by the fault, long before the 20 s watch timeout
    assert events == ["seen"]
    assert "ProtocolError" in type(caught.value).__name__ or "IncompleteRead" in repr(caught.value)
    assert server.admin.faults()["injected"]["drop"] == 1
    assert core.read_namespaced_config_map("seen", "default").data == {"k": "v"}  # other requests unaffected


def test_mixed_error_codes_and_rule_duration(server: KubesimServer) -> None:
    server.admin.set_faults(
        [
            {
                "verbs": ["get"],
                "resources": ["namespaces"],
                "error_rate": 1.0,
                "statuses": [500, 503, 429],
                "duration": 1.0,
            }
        ],
        seed=3,
    )
    listed = server.admin.faults()["rules"][0]
    assert 0 < listed["expires_in"] <= 1.0 and "expires_at" not in listed
    with httpx.Client(base_url=server.url) as http:
        codes = {http.get("/api/v1/namespaces/default").status_code for _ in range(30)}
        assert codes == {500, 503, 429}
        time.sleep(1.1)
        assert http.get("/api/v1/namespaces/default").status_code == 200
    assert server.admin.faults()["rules"] == []
