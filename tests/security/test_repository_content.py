# mypy: disable-error-code="misc,arg-type,unused-ignore"
"""Bad repository content, each in its own app beside a good one, with a real worker: a clear error
naming what was wrong, nothing applied, nothing leaked, the other apps unaffected."""

from __future__ import annotations

from typing import Any

import pytest
from faults.stack import EngineStack, configmap, wait_for
from kubernetes import client as kclient

pytestmark = pytest.mark.slow

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart\ndata:\n  v: {{ .Values.v | quote }}\n",
    "chart/values.yaml": "v: one\n",
}
SECRET_DOC = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sneaky\nstringData:\n  k: v\n"
PROJECT = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "restricted"},
    "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "allowed-*"}],
             "namespaceResourceWhitelist": [{"group": "", "kind": "ConfigMap"}]},
}  # fmt: skip
# app name -> (path, expected words in its error, extra spec)
CASES: dict[str, tuple[str, list[str], dict[str, Any]]] = {
    "bad-yaml": ("invalid", ["broken.yaml:5:", "invalid yaml"], {}),
    "traversal": ("../../etc", ["path"], {}),
    "symlink": ("symlinked", ["link.yaml"], {}),
    "helm-values": ("chart", ["valueFiles", "passwd"], {"helm": {"valueFiles": ["../../../../etc/passwd"]}}),
    "alias-bomb": ("bomb", ["bomb.yaml"], {}),
    "too-big": ("big", ["bytes"], {}),
    "too-many": ("many", ["documents"], {}),
    "duplicates": ("dupes", ["dup"], {}),
}


@pytest.mark.reliability(
    case="B2 repository content: invalid YAML, traversal, symlink escape, Helm valueFiles outside, alias bomb, "
    "size cap, document cap, duplicates, project-forbidden kinds and namespaces",
    done="one repo (symlink escape in a second one), one automated app per bad path (caps scaled down: 20,000 bytes, 40 documents), an app "
    "in a project allowing only ConfigMaps in allowed-* namespaces that ships a Secret, one aimed at a "
    "forbidden namespace, and a good app; a real worker refreshes them all",
    checked="each bad app gets an error condition naming the file / field / resource and what was wrong "
    "(invalid YAML gives file and line); none of their objects exist in the cluster; the good app is "
    "Synced+Healthy; no error contains the git server's credentials",
)
def test_bad_repository_content(stack: EngineStack, git_server: Any) -> None:
    repo = git_server.create_repo("content")
    files: dict[str, str | bytes | None] = {
        "good/cm.yaml": configmap("good", "v1"),
        "invalid/ok.yaml": configmap("fine", "1"),
        "invalid/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n  x: : y\n",
        "bomb/bomb.yaml": BOMB,
        "big/big.yaml": configmap("big", "x" * 30000),
        "many/many.yaml": "---\n".join(configmap(f"m{i}", str(i)) for i in range(60)),
        "dupes/one.yaml": configmap("dup", "1"),
        "dupes/two.yaml": configmap("dup", "2"),
        "forbidden/cm.yaml": configmap("allowed-kind", "1"),
        "forbidden/secret.yaml": SECRET_DOC,
        **CHART,
    }
    repo.commit(files)
    # Out-of-bounds symlinks reject the whole repository (as Argo CD does): that case has its own repo.
    escape = git_server.create_repo("escape")
    escape.commit({"symlinked/ok.yaml": configmap("symlinked-ok", "1")})
    escape.symlink("symlinked/link.yaml", "../../../../../../etc/hosts")
    stack.env |= {"BOSUN_MAX_MANIFEST_BYTES": "20000", "BOSUN_MAX_DOCUMENTS": "40"}
    kclient.CustomObjectsApi(stack.kubesim.api_client()).create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "bosun", "appprojects", PROJECT)  # fmt: skip
    url = git_server.url("content")
    stack.application("good", url, "good", "good-ns")
    for name, (path, _words, extra) in CASES.items():
        stack.application(name, git_server.url("escape") if name == "symlink" else url, path, f"{name}-ns")
        if extra:
            stack.registry.patch(name, {"spec": {"source": extra}})
    stack.application("forbidden-kind", url, "forbidden", "allowed-kind", project="restricted")
    stack.application("forbidden-ns", url, "good", "kube-system", project="restricted")
    worker = stack.engine_worker("w1")
    names = ["good", *CASES, "forbidden-kind", "forbidden-ns"]
    for name in names:
        stack.refresh(name)
    wait_for(lambda: stack.synced_healthy("good"), 120, f"good synced\n{worker.text()[-3000:]}")
    messages: dict[str, str] = {}
    for name in [*CASES, "forbidden-kind", "forbidden-ns"]:
        messages[name] = wait_for(
            lambda n=name: error_of(stack, n), 60, f"{name} error\n{stack.status(name)}"
        )  # type: ignore[misc]
    print("\n".join(f"{k}: {v}" for k, v in messages.items()))
    unclear = {n: messages[n] for n, (_p, words, _e) in CASES.items()
               if not all(w.lower() in messages[n].lower() for w in words)}  # fmt: skip
    assert unclear == {}, messages
    for name in CASES:
        assert stack.namespace_objects(f"{name}-ns") == [], name
    assert "Secret" in messages["forbidden-kind"] and "sneaky" in messages["forbidden-kind"]
    assert "kube-system" in messages["forbidden-ns"]
    assert stack.namespace_objects("allowed-kind") == []
    for message in messages.values():
        assert git_server.password not in message and git_server.token not in message
    assert stack.configmap_value("good", "good-ns") == "v1"


def error_of(stack: EngineStack, name: str) -> str:
    status = stack.status(name)
    texts = [c.get("message", "") for c in status.get("conditions") or []]
    op = status.get("operationState") or {}
    if op.get("phase") in ("Failed", "Error"):
        texts.append(str(op.get("message", "")))
    for res in status.get("resources") or []:
        if res.get("status") == "Unknown":
            texts.append(
                f"{res.get('kind')}/{res.get('name')}: {(res.get('health') or {}).get('message', '')}"
            )
    return " | ".join(t for t in texts if t)
