"""ApplicationSet generators, pure: list, cluster (selector, values), git directories and files
(on a directory tree standing in for a repository checkout), matrix, merge, post selector."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gitops.appsets.clusters import ClusterInfo, clusters_from_secrets
from gitops.appsets.generators import GeneratorContext, generate
from gitops.appsets.globs import glob_match
from gitops.appsets.params import flatten, normalize_name
from gitops.appsets.render import TemplateRenderer
from gitops.errors import SpecError

CLUSTERS = [
    ClusterInfo("dev", "https://dev.example", {"env": "dev", "fleet": "web"}, {"owner": "team-a"}),
    ClusterInfo("prod_EU", "https://prod.example", {"env": "prod", "fleet": "web"}),
    ClusterInfo("staging", "https://staging.example", {"env": "staging"}),
    ClusterInfo("in-cluster", "https://kubernetes.default.svc", from_secret=False),
]


class DirTrees:
    """RepoTrees over a local directory (the port's edge; the git-backed one is tested end to end)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.asked: list[tuple[str, str]] = []

    def tree(self, repo_url: str, revision: str) -> Path:
        self.asked.append((repo_url, revision))
        return self.root


def ctx(tmp_path: Path, go: bool = False) -> GeneratorContext:
    return GeneratorContext(lambda: CLUSTERS, DirTrees(tmp_path), TemplateRenderer(go))


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_list_generator_flat_and_go(tmp_path: Path) -> None:
    spec = {"list": {"elements": [{"cluster": "dev", "cfg": {"size": 2}, "values": {"x": "{{cluster}}-v"}}]}}
    assert generate(spec, ctx(tmp_path)) == [{"cluster": "dev", "cfg.size": "2", "values.x": "dev-v"}]
    go = {"list": {"elements": [{"cluster": "dev", "cfg": {"size": 2}}]}}
    assert generate(go, ctx(tmp_path, go=True)) == [{"cluster": "dev", "cfg": {"size": 2}}]
    with pytest.raises(SpecError, match="elements must be a list"):
        generate({"list": {"elements": "nope"}}, ctx(tmp_path))


def test_cluster_generator_params_selector_values(tmp_path: Path) -> None:
    everything = generate({"clusters": {}}, ctx(tmp_path))
    assert [p["name"] for p in everything] == ["dev", "prod_EU", "staging", "in-cluster"]
    dev = everything[0]
    assert dev == {"name": "dev", "nameNormalized": "dev", "server": "https://dev.example", "project": "",
                   "metadata.labels.env": "dev", "metadata.labels.fleet": "web",
                   "metadata.annotations.owner": "team-a"}  # fmt: skip
    assert everything[1]["nameNormalized"] == "prod-eu"
    spec = {
        "clusters": {
            "selector": {"matchLabels": {"fleet": "web"}},
            "values": {"rev": "{{metadata.labels.env}}-branch"},
        }
    }
    selected = generate(spec, ctx(tmp_path))
    assert [(p["name"], p["values.rev"]) for p in selected] == [
        ("dev", "dev-branch"),
        ("prod_EU", "prod-branch"),
    ]
    expr = {
        "clusters": {
            "selector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}
        }
    }
    assert [p["name"] for p in generate(expr, ctx(tmp_path))] == ["prod_EU", "staging"]
    exists = {"clusters": {"selector": {"matchExpressions": [{"key": "fleet", "operator": "DoesNotExist"}]}}}
    assert [p["name"] for p in generate(exists, ctx(tmp_path))] == ["staging"]
    go = generate({"clusters": {"selector": {"matchLabels": {"env": "dev"}}}}, ctx(tmp_path, go=True))
    assert go[0]["metadata"] == {"labels": {"env": "dev", "fleet": "web"}, "annotations": {"owner": "team-a"}}
    with pytest.raises(SpecError, match="unknown selector operator"):
        generate(
            {"clusters": {"selector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}}}, ctx(tmp_path)
        )


def test_clusters_from_secrets_reads_data_and_adds_local() -> None:
    def secret(name: str, server: str, **labels: str) -> dict:
        data = {
            "name": base64.b64encode(name.encode()).decode(),
            "server": base64.b64encode(server.encode()).decode(),
        }
        return {"metadata": {"name": f"s-{name}", "labels": {"argocd.argoproj.io/secret-type": "cluster", **labels}},
                "data": data}  # fmt: skip

    other = {
        "metadata": {"name": "repo", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "data": {},
    }
    found = clusters_from_secrets([secret("prod", "https://prod/", env="prod"), other])
    assert [(c.name, c.server, dict(c.labels).get("env")) for c in found] == [
        ("in-cluster", "https://kubernetes.default.svc", None),
        ("prod", "https://prod", "prod"),
    ]
    local = clusters_from_secrets([secret("local", "https://kubernetes.default.svc")])
    assert [c.name for c in local] == ["local"]


def test_git_directories_with_exclude(tmp_path: Path) -> None:
    write(tmp_path, {"apps/guestbook/a.yaml": "", "apps/Web_UI/a.yaml": "", "apps/skip/a.yaml": "",
                     "apps/guestbook/nested/b.yaml": "", "other/x/a.yaml": "", ".git/config": ""})  # fmt: skip
    spec = {"git": {"repoURL": "https://git.example/r.git", "revision": "main",
                    "directories": [{"path": "apps/*"}, {"path": "apps/skip", "exclude": True}]}}  # fmt: skip
    generator_ctx = ctx(tmp_path)
    params = generate(spec, generator_ctx)
    assert [p["path"] for p in params] == ["apps/Web_UI", "apps/guestbook"]
    assert params[0] == {"path": "apps/Web_UI", "path.basename": "Web_UI", "path.basenameNormalized": "web-ui",
                         "path[0]": "apps", "path[1]": "Web_UI"}  # fmt: skip
    assert generator_ctx.trees.asked == [("https://git.example/r.git", "main")]  # type: ignore[attr-defined]
    go = generate(spec, ctx(tmp_path, go=True))
    assert go[1] == {"path": {"path": "apps/guestbook", "basename": "guestbook", "basenameNormalized": "guestbook",
                              "segments": ["apps", "guestbook"]}}  # fmt: skip
    prefixed = {"git": {**spec["git"], "pathParamPrefix": "src"}}
    assert generate(prefixed, ctx(tmp_path))[1]["src.path.basename"] == "guestbook"
    with pytest.raises(SpecError, match="exactly one of directories or files"):
        generate({"git": {"repoURL": "u"}}, ctx(tmp_path))


def test_git_files_flattened_with_path_params(tmp_path: Path) -> None:
    write(tmp_path, {"clusters/dev/config.json": '{"cluster": {"name": "dev", "address": "https://dev"}}',
                     "clusters/prod/config.json": '{"cluster": {"name": "prod", "address": "https://prod"}}',
                     "clusters/many/config.yaml": "- {cluster: {name: a}}\n- {cluster: {name: b}}\n",
                     "clusters/prod/readme.md": "x"})  # fmt: skip
    spec = {"git": {"repoURL": "u", "files": [{"path": "clusters/**/config.json"}]}}
    params = generate(spec, ctx(tmp_path))
    assert [p["cluster.name"] for p in params] == ["dev", "prod"]
    assert params[0]["path"] == "clusters/dev" and params[0]["path.filename"] == "config.json"
    assert params[0]["path.basename"] == "dev" and params[0]["path[1]"] == "dev"
    many = generate(
        {"git": {"repoURL": "u", "files": [{"path": "clusters/*/config.yaml"}]}}, ctx(tmp_path, go=True)
    )
    assert [p["cluster"]["name"] for p in many] == ["a", "b"] and many[0]["path"]["filename"] == "config.yaml"
    write(tmp_path, {"bad/config.json": "{nope"})
    with pytest.raises(SpecError, match=r"bad/config\.json is not valid JSON/YAML"):
        generate({"git": {"repoURL": "u", "files": [{"path": "bad/*.json"}]}}, ctx(tmp_path))


def test_matrix_of_clusters_and_directories(tmp_path: Path) -> None:
    write(tmp_path, {"apps/api/a.yaml": "", "apps/web/a.yaml": ""})
    spec = {"matrix": {"generators": [
        {"clusters": {"selector": {"matchLabels": {"fleet": "web"}}}},
        {"git": {"repoURL": "u", "directories": [{"path": "apps/*"}]}},
    ]}}  # fmt: skip
    rows = generate(spec, ctx(tmp_path))
    assert [(r["name"], r["path.basename"]) for r in rows] == [
        ("dev", "api"),
        ("dev", "web"),
        ("prod_EU", "api"),
        ("prod_EU", "web"),
    ]
    three = {"matrix": {"generators": [{"list": {"elements": [{"a": "1"}]}}] * 3}}
    with pytest.raises(SpecError, match="exactly two generators"):
        generate(three, ctx(tmp_path))
    clash = {
        "matrix": {"generators": [{"list": {"elements": [{"a": "1"}]}}, {"list": {"elements": [{"a": "2"}]}}]}
    }
    with pytest.raises(SpecError, match="parameter 'a' has two values"):
        generate(clash, ctx(tmp_path))


def test_matrix_second_generator_uses_first_params(tmp_path: Path) -> None:
    spec = {"matrix": {"generators": [
        {"list": {"elements": [{"env": "dev"}, {"env": "prod"}]}},
        {"clusters": {"selector": {"matchLabels": {"env": "{{env}}"}}}},
    ]}}  # fmt: skip
    assert [(r["env"], r["name"]) for r in generate(spec, ctx(tmp_path))] == [
        ("dev", "dev"),
        ("prod", "prod_EU"),
    ]


def test_merge_by_keys(tmp_path: Path) -> None:
    spec = {"merge": {"mergeKeys": ["server"], "generators": [
        {"clusters": {"values": {"size": "small"}}},
        {"list": {"elements": [{"server": "https://prod.example", "values.size": "large"}]}},
    ]}}  # fmt: skip
    rows = {r["name"]: r["values.size"] for r in generate(spec, ctx(tmp_path))}
    assert rows == {"dev": "small", "prod_EU": "large", "staging": "small", "in-cluster": "small"}
    with pytest.raises(SpecError, match="mergeKeys"):
        generate({"merge": {"generators": [{"list": {"elements": []}}]}}, ctx(tmp_path))


def test_post_selector_filters_params(tmp_path: Path) -> None:
    spec = {
        "list": {"elements": [{"env": "dev"}, {"env": "prod"}]},
        "selector": {"matchLabels": {"env": "prod"}},
    }
    assert generate(spec, ctx(tmp_path)) == [{"env": "prod"}]


def test_unknown_or_unsupported_generators(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not supported"):
        generate({"scmProvider": {}}, ctx(tmp_path))
    with pytest.raises(SpecError, match="exactly one of"):
        generate({"list": {"elements": []}, "clusters": {}}, ctx(tmp_path))


def test_helpers() -> None:
    assert normalize_name("Prod_EU west") == "prod-eu-west"
    assert flatten({"a": {"b": [1, {"c": True}]}, "e": {}}) == {"a.b[0]": "1", "a.b[1].c": "true", "e": "{}"}
    assert glob_match("apps/*", "apps/x") and not glob_match("apps/*", "apps/x/y")
    assert glob_match("apps/**/c.json", "apps/c.json") and glob_match("apps/**/c.json", "apps/a/b/c.json")
    assert glob_match("apps/[ab]*", "apps/beta") and not glob_match("apps/[!ab]*", "apps/beta")
