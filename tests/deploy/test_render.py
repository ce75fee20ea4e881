"""deploy/ and every overlay render with the real `kubectl kustomize`, and what they render is safe by
default: no shipped secret, non-root read-only containers with resources and probes, one Recreate
beat, Redis with AOF and a password, NetworkPolicies fencing Redis and Flower, budgets for drains."""

from __future__ import annotations

import pytest

from .render import OVERLAYS, Obj, by_kind, kustomize, pod_templates

pytestmark = pytest.mark.xdist_group("deploy-render")


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Obj]]:
    return {target: kustomize(target) for target in OVERLAYS}


def test_every_overlay_renders_the_crds_and_bosun(rendered: dict[str, list[Obj]]) -> None:
    assert {".", "overlays/keda", "overlays/external-redis", "overlays/dedicated-queues"} <= set(rendered)
    for target, docs in rendered.items():
        crds = set(by_kind(docs, "CustomResourceDefinition"))
        assert crds == {
            "applications.argoproj.io",
            "appprojects.argoproj.io",
            "applicationsets.argoproj.io",
        }, target
        assert {"bosun-server", "bosun-worker", "bosun-beat", "bosun-flower"} <= set(
            by_kind(docs, "Deployment")
        )
        namespaced = [d for d in docs if d["kind"] not in ("Namespace", "CustomResourceDefinition")
                      and not d["kind"].startswith("Cluster")]  # fmt: skip
        assert {d["metadata"].get("namespace") for d in namespaced} == {"bosun"}, target


def test_no_secret_is_shipped(rendered: dict[str, list[Obj]]) -> None:
    for target, docs in rendered.items():
        assert not by_kind(docs, "Secret"), f"{target} must not ship credentials"


def test_containers_are_restricted_with_resources_and_probes(rendered: dict[str, list[Obj]]) -> None:
    for target, docs in rendered.items():
        for name, pod in pod_templates(docs).items():
            assert pod["securityContext"]["runAsNonRoot"] is True, (target, name)
            for container in pod["containers"]:
                where = (target, name, container["name"])
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
                assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
                assert "livenessProbe" in container, where


def test_server_and_flower_have_readiness_and_services(rendered: dict[str, list[Obj]]) -> None:
    docs = rendered["."]
    pods = pod_templates(docs)
    assert pods["bosun-server"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "readinessProbe" in pods["bosun-flower"]["containers"][0]
    assert {"bosun-server", "bosun-flower", "bosun-redis"} <= set(by_kind(docs, "Service"))


def test_beat_is_single_and_recreated(rendered: dict[str, list[Obj]]) -> None:
    for target, docs in rendered.items():
        beat = by_kind(docs, "Deployment")["bosun-beat"]
        assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate", target
        assert "bosun-beat" not in {p["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component")
                                    for p in by_kind(docs, "PodDisruptionBudget").values()}  # fmt: skip


def test_flower_requires_a_password_and_is_reachable_in_its_pod(rendered: dict[str, list[Obj]]) -> None:
    flower = pod_templates(rendered["."])["bosun-flower"]["containers"][0]
    env = {e["name"]: e for e in flower["env"]}
    assert env["BOSUN_FLOWER_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "flower-password"
    assert "optional" not in env["BOSUN_FLOWER_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert "--no-auth" not in flower["args"] and "0.0.0.0" in flower["args"]


def test_redis_persists_with_aof_and_requires_a_password(rendered: dict[str, list[Obj]]) -> None:
    redis = by_kind(rendered["."], "StatefulSet")["bosun-redis"]
    command = " ".join(redis["spec"]["template"]["spec"]["containers"][0]["args"])
    assert "--appendonly yes" in command and "--requirepass" in command
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


def test_external_redis_overlay_drops_the_statefulset(rendered: dict[str, list[Obj]]) -> None:
    docs = rendered["overlays/external-redis"]
    assert not by_kind(docs, "StatefulSet")
    assert "bosun-redis" not in by_kind(docs, "Service") | by_kind(docs, "NetworkPolicy")


def test_network_policies_admit_only_bosun_to_redis_and_flower(rendered: dict[str, list[Obj]]) -> None:
    policies = by_kind(rendered["."], "NetworkPolicy")
    redis_from = policies["bosun-redis"]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"]
    assert {"key": "app.kubernetes.io/name", "operator": "In", "values": ["bosun"]} in redis_from
    flower_from = policies["bosun-flower"]["spec"]["ingress"][0]["from"]
    assert flower_from == [{"podSelector": {"matchLabels": {"bosun.dev/flower-access": "true"}}}]


def test_workers_scale_by_hpa_or_by_keda(rendered: dict[str, list[Obj]]) -> None:
    hpa = by_kind(rendered["."], "HorizontalPodAutoscaler")["bosun-worker"]
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    keda = rendered["overlays/keda"]
    assert "bosun-worker" not in by_kind(keda, "HorizontalPodAutoscaler")
    scaled = by_kind(keda, "ScaledObject")["bosun-worker"]
    assert {t["metadata"]["listName"] for t in scaled["spec"]["triggers"]} == {
        "bosun:celery:refresh",
        "bosun:celery:sync",
    }


def test_dedicated_queues_split_the_workers(rendered: dict[str, list[Obj]]) -> None:
    pods = pod_templates(rendered["overlays/dedicated-queues"])
    assert pods["bosun-worker"]["containers"][0]["args"][-3] == "refresh"
    assert pods["bosun-worker-sync"]["containers"][0]["args"][-3] == "sync"


def test_rbac_gives_the_api_read_only_cluster_access(rendered: dict[str, list[Obj]]) -> None:
    roles = by_kind(rendered["."], "ClusterRole")
    verbs = {v for rule in roles["bosun-server-readonly"]["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}
    pods = pod_templates(rendered["."])
    assert pods["bosun-server"]["serviceAccountName"] == "bosun-server"
    assert pods["bosun-worker"]["serviceAccountName"] == "bosun-controller"
    assert pods["bosun-flower"]["automountServiceAccountToken"] is False
