"""SourceService against real git servers and real renderers: every tool, multi-source, the cache."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from gitserver import GitServer, private_redis
from service_support import RecordingCache, add_fixture, application, make_stack, serve

from gitops.cache import RedisCache
from gitops.keys import Keys
from gitops.source.manifest_cache import CachedManifests, ManifestCache
from gitops.source.service import ChangedFiles


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata'].get('name') or o['metadata'].get('generateName')}" for o in objects]


def test_directory_app_renders_once_then_loads_from_cache(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    sha = add_fixture(repo, "directory-recurse-valid")
    stack = make_stack(tmp_path)
    app = application(
        "guestbook", {"repoURL": url, "targetRevision": "main", "path": "app", "directory": {"recurse": True}}
    )
    first = stack.service.desired_state(app)
    assert first.revisions == (sha,) and first.source_type == "Directory" and first.renders_performed == 1
    assert "ConfigMap/nested" in names(first.objects)
    second = stack.service.desired_state(app)
    assert (second.renders_performed, second.cache_hits) == (0, 1)
    assert second.objects == first.objects
    assert stack.metrics.value("renders_total", tool="Directory") == 1
    assert stack.metrics.value("manifest_cache_total", result="hit") == 1


def test_many_apps_on_one_commit_path_and_parameters_render_once(
    git_server: GitServer, tmp_path: Path
) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "kustomize-overlay-valid")
    stack = make_stack(tmp_path)
    same = [
        application(f"app-{i}", {"repoURL": url, "path": "overlays/prod", "kustomize": {"namePrefix": "x-"}})
        for i in range(25)
    ]
    other = application("other", {"repoURL": url, "path": "overlays/prod", "kustomize": {"namePrefix": "y-"}})
    results = [stack.service.desired_state(app) for app in [*same, other]]
    assert sum(r.renders_performed for r in results) == 2  # two distinct (path, parameters)
    assert all(r.objects == results[0].objects for r in results[:25])
    assert "Deployment/y-web" in names(results[-1].objects)  # namePrefix replaced, as `kustomize edit` does
    # a second worker host with its own mirrors shares the cache: no render at all
    host_b = make_stack(tmp_path, cache=stack.cache, name="host-b")
    assert host_b.service.desired_state(same[0]).renders_performed == 0


def test_helm_app_name_matters_only_through_the_release_name(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    stack = make_stack(tmp_path)
    default = [
        stack.service.desired_state(application(n, {"repoURL": url, "path": "chart"})) for n in ("a", "b")
    ]
    assert [r.renders_performed for r in default] == [1, 1]  # release name = app name: outputs differ
    assert "Deployment/a" in names(default[0].objects) and "Deployment/b" in names(default[1].objects)
    pinned = {
        "repoURL": url,
        "path": "chart",
        "helm": {"releaseName": "web", "parameters": [{"name": "replicas", "value": "2"}]},
    }
    shared = [stack.service.desired_state(application(n, pinned)) for n in ("c", "d")]
    assert [r.renders_performed for r in shared] == [1, 0]
    by_var = {
        "repoURL": url,
        "path": "chart",
        "helm": {"releaseName": "web", "parameters": [{"name": "message", "value": "$ARGOCD_APP_NAME"}]},
    }
    assert [stack.service.desired_state(application(n, by_var)).renders_performed for n in ("e", "f")] == [
        1,
        1,
    ]


def test_jsonnet_through_git_with_redacted_repo_url(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("private-apps", private=True)
    add_fixture(repo, "jsonnet-valid")
    url = git_server.url("private-apps", auth="basic")
    stack = make_stack(tmp_path)
    jsonnet = {
        "extVars": [
            {"name": "env", "value": "$ARGOCD_APP_SOURCE_REPO_URL"},
            {"name": "app", "value": "x"},
            {"name": "port", "value": "1", "code": True},
        ],
        "libs": ["vendor"],
    }
    state = stack.service.desired_state(
        application("shop", {"repoURL": url, "path": "app", "directory": {"jsonnet": jsonnet}})
    )
    env_value = next(o for o in state.objects if o["metadata"]["name"] == "settings")["data"]["env"]
    assert env_value == git_server.url("private-apps")
    assert git_server.password not in repr(state)


def test_unrelated_commit_reuses_cached_manifests(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    first = add_fixture(repo, "kustomize-overlay-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application("web", {"repoURL": url, "path": "overlays/prod"})
    assert stack.service.desired_state(app).renders_performed == 1
    second = repo.commit({"docs/README.md": "unrelated\n"}, "docs")
    state = stack.service.desired_state(app, changed_files=ChangedFiles(url, first, ("docs/README.md",)))
    assert state.revisions == (second,) and state.renders_performed == 0 and state.cache_hits == 1
    assert stack.service.desired_state(app).cache_hits == 1  # keyed by content: no webhook needed
    # the base lives outside the app path, but the render read it: a change there re-renders
    third = repo.commit(
        {"base/service.yaml": (repo.work / "base/service.yaml").read_text().replace("port: 80", "port: 81")}
    )
    state = stack.service.desired_state(app, changed_files=ChangedFiles(url, second, ("base/service.yaml",)))
    assert state.revisions == (third,) and state.renders_performed == 1
    service = next(o for o in state.objects if o["kind"] == "Service")
    assert service["spec"]["ports"] == [{"port": 81}]


def test_manifest_generate_paths_and_unknown_changes(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    first = add_fixture(repo, "directory-recurse-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application(
        "web",
        {"repoURL": url, "path": "app"},
        annotations={"argocd.argoproj.io/manifest-generate-paths": ".;/config"},
    )
    stack.service.desired_state(app)
    second = repo.commit({"config/flags.txt": "on\n"})
    assert (
        stack.service.desired_state(
            app, changed_files=ChangedFiles(url, first, ("config/flags.txt",))
        ).renders_performed
        == 1
    )
    third = repo.commit({"other/x.txt": "x\n"})
    state = stack.service.desired_state(app, changed_files=ChangedFiles(url, second, ("other/x.txt",)))
    assert state.revisions == (third,) and state.renders_performed == 0
    repo.commit({"other/y.txt": "y\n"})
    # no webhook information: the tree ids of the app path and /config decide
    assert stack.service.desired_state(app).renders_performed == 0
    repo.commit({"config/y.txt": "y\n"})
    assert stack.service.desired_state(app).renders_performed == 1


def test_relevant_change_invalidates(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    first = add_fixture(repo, "directory-recurse-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application("web", {"repoURL": url, "path": "app"})
    stack.service.desired_state(app)
    repo.commit({"app/new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added}\n"})
    state = stack.service.desired_state(app, changed_files=ChangedFiles(url, first, ("app/new.yaml",)))
    assert state.renders_performed == 1 and "ConfigMap/added" in names(state.objects)


def test_hard_refresh_renders_again(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "directory-recurse-valid")
    stack = make_stack(tmp_path)
    app = application("web", {"repoURL": url, "path": "app"})
    stack.service.desired_state(app)
    assert stack.service.desired_state(app, force=True).renders_performed == 1


def test_multi_source_with_ref_values(git_server: GitServer, tmp_path: Path) -> None:
    charts, charts_url = serve(git_server, "charts")
    add_fixture(charts, "helm-chart-valid")
    values, values_url = serve(git_server, "values")
    values_sha = values.commit({"envs/prod.yaml": "message: from-ref-repo\nreplicas: 6\n"})
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application(
        "shop",
        sources=[
            {"repoURL": charts_url, "path": "chart", "helm": {"valueFiles": ["$values/envs/prod.yaml"]}},
            {"repoURL": values_url, "targetRevision": "main", "ref": "values"},
            {"repoURL": charts_url, "path": "shared", "directory": {"include": "*.json"}},
        ],
    )
    state = stack.service.desired_state(app)
    assert state.revisions[1] == values_sha and state.source_types == ("Helm", "Directory")
    config = next(o for o in state.objects if o["metadata"].get("name") == "shop-config")
    assert config["data"]["message"] == "from-ref-repo"
    assert stack.service.desired_state(app).renders_performed == 0
    values.commit({"envs/prod.yaml": "message: changed\n"})
    state = stack.service.desired_state(app)
    assert state.renders_performed == 1  # the values commit is part of the chart's cache key
    assert (
        next(o for o in state.objects if o["metadata"].get("name") == "shop-config")["data"]["message"]
        == "changed"
    )


def test_forged_cache_entry_is_rerendered(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "directory-recurse-valid")
    cache = RecordingCache()
    stack = make_stack(tmp_path, cache=cache)
    app = application("web", {"repoURL": url, "path": "app"})
    honest = stack.service.desired_state(app)
    prefix = Keys().manifests("")
    digests = [key[len(prefix) :] for key in cache.written if key.startswith(prefix)]
    assert len(digests) == 1
    evil = CachedManifests(
        [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "evil"}}], "Directory", frozenset()
    )
    ManifestCache(cache, b"guessed-key").put(digests[0], evil)  # anyone with write access to Redis
    state = stack.service.desired_state(app)
    assert state.renders_performed == 1 and state.objects == honest.objects
    assert stack.metrics.value("manifest_cache_total", result="rejected") >= 1
    assert stack.service.desired_state(app).cache_hits == 1  # the re-render replaced the forgery


def test_concurrent_refreshes_of_one_digest_render_once(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    stack = make_stack(tmp_path)
    stack.service.desired_state(
        application("warm", {"repoURL": url, "path": "shared", "directory": {"include": "*.json"}})
    )  # mirror + snapshot exist
    apps = [
        application(f"app-{i}", {"repoURL": url, "path": "chart", "helm": {"releaseName": "web"}})
        for i in range(8)
    ]
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda a=a: results.append(stack.service.desired_state(a).renders_performed))
        for a in apps
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] * 7 + [1]


@pytest.mark.parametrize(
    ("fixture", "source", "message"),
    [
        (
            "directory-recurse-valid",
            {"path": "../outside"},
            "spec.source.path '../outside' resolves outside the repository",
        ),
        ("symlink-file-escape-rejected", {"path": "app"}, "symlink app/stolen.yaml"),
        ("yaml-alias-bomb-rejected", {"path": "app"}, "alias bomb"),
        (
            "helm-chart-valid",
            {"path": "chart", "helm": {"valueFiles": ["../../../../etc/hostname"]}},
            "helm.valueFiles[0]",
        ),
        ("kustomize-remote-base-rejected", {"path": "app"}, "network access is disabled"),
        ("invalid-yaml-rejected", {"path": "app"}, "app/broken.yaml:5"),
    ],
)
def test_unsafe_sources_fail_with_nothing_returned(
    git_server: GitServer, tmp_path: Path, fixture: str, source: dict[str, Any], message: str
) -> None:
    from gitops.errors import SourceError

    repo, url = serve(git_server)
    add_fixture(repo, fixture)
    stack = make_stack(tmp_path)
    with pytest.raises(SourceError) as info:
        stack.service.desired_state(application("victim", {"repoURL": url, **source}))
    assert "app 'victim'" in str(info.value) and message in str(info.value)
    assert stack.metrics.value("renders_total", tool="Directory") == 0


def test_directory_symlink_committed_to_git_is_refused(git_server: GitServer, tmp_path: Path) -> None:
    from gitops.errors import UnsafeSourceError

    repo, url = serve(git_server)
    add_fixture(repo, "symlink-dir-escape-rejected")
    repo.symlink("app/host-etc", "/etc")
    stack = make_stack(tmp_path)
    with pytest.raises(UnsafeSourceError, match="symlink app/host-etc -> /etc points outside the repository"):
        stack.service.desired_state(
            application("victim", {"repoURL": url, "path": "app", "directory": {"recurse": True}})
        )


def test_hosts_share_renders_through_redis(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    source = {
        "repoURL": url,
        "path": "chart",
        "helm": {"releaseName": "web", "valuesObject": {"replicas": 2}},
    }
    with private_redis(tmp_path / "redis") as client:
        hosts = [make_stack(tmp_path, cache=RedisCache(client), name=f"host-{i}") for i in range(3)]
        states = [host.service.desired_state(application(f"app-{i}", source)) for i, host in enumerate(hosts)]
        assert [s.renders_performed for s in states] == [1, 0, 0]
        assert states[1].objects == states[0].objects == states[2].objects
        assert any(key.startswith(b"bosun:manifests:") for key in client.keys("*"))


def test_a_failed_render_is_shared_too_until_forced(git_server: GitServer, tmp_path: Path) -> None:
    from gitops.errors import RenderError

    repo, url = serve(git_server)
    add_fixture(repo, "helm-template-failure-rejected")
    stack = make_stack(tmp_path)
    source = {"repoURL": url, "path": "chart", "helm": {"releaseName": "web"}}
    messages = []
    for name in ("first", "second", "third"):
        with pytest.raises(RenderError) as info:
            stack.service.desired_state(application(name, source))
        messages.append(str(info.value))
    assert all(
        f"app '{name}'" in text for name, text in zip(("first", "second", "third"), messages, strict=True)
    )
    assert all("value image.tag is required" in text for text in messages)
    assert stack.metrics.value("renders_failed_total") == 1  # the others got the remembered failure
    with pytest.raises(RenderError):
        stack.service.desired_state(application("forced", source), force=True)
    assert stack.metrics.value("renders_failed_total") == 2
