"""Renders keyed by content (git tree ids), against real git servers and real renderers: a commit
that touches nothing a render reads reuses it; one that touches the app path, a file outside it that
the render read, or a manifest-generate-paths entry renders again; what tree ids cannot cover
(symlinks, revision variables) stays keyed by commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitserver import GitServer, private_redis
from service_support import RecordingCache, add_fixture, application, make_stack, serve

from gitops.cache import RedisCache
from gitops.keys import Keys
from gitops.source.manifest_cache import CachedManifests, ManifestCache
from gitops.source.tree_index import parse_ls_tree

GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"


def cm(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n"


def data_of(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objects if o["metadata"].get("name") == name)["data"]


def test_monorepo_commit_to_another_path_reuses_the_render(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    repo.commit({f"apps/app-{i}/cm.yaml": cm(f"cm-{i}", "one") for i in range(3)})
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    apps = [application(f"app-{i}", {"repoURL": url, "path": f"apps/app-{i}"}) for i in range(3)]
    assert [stack.service.desired_state(a).renders_performed for a in apps] == [1, 1, 1]
    second = repo.commit({"apps/app-1/cm.yaml": cm("cm-1", "two")})
    states = [stack.service.desired_state(a) for a in apps]
    assert all(s.revisions == (second,) for s in states)
    assert [s.renders_performed for s in states] == [0, 1, 0]
    assert [s.cache_hits for s in states] == [1, 0, 1]
    assert data_of(states[1].objects, "cm-1") == {"v": "two"}
    # a file added to the path changes its tree: rendered again
    repo.commit({"apps/app-0/extra.yaml": cm("extra", "x")})
    state = stack.service.desired_state(apps[0])
    assert state.renders_performed == 1 and {o["metadata"]["name"] for o in state.objects} == {
        "cm-0",
        "extra",
    }
    # a hard refresh still renders
    assert stack.service.desired_state(apps[2], force=True).renders_performed == 1


def test_kustomize_base_outside_the_path_is_part_of_the_key(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "kustomize-overlay-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application("web", {"repoURL": url, "path": "overlays/prod"})
    assert stack.service.desired_state(app).renders_performed == 1
    repo.commit({"docs/README.md": "unrelated\n"})
    assert stack.service.desired_state(app).renders_performed == 0
    service_file = (repo.work / "base/service.yaml").read_text()
    repo.commit({"base/service.yaml": service_file.replace("port: 80", "port: 81")})
    state = stack.service.desired_state(app)
    assert state.renders_performed == 1
    assert next(o for o in state.objects if o["kind"] == "Service")["spec"]["ports"] == [{"port": 81}]
    # back to the earlier content: that render is reused, not repeated
    repo.commit({"base/service.yaml": service_file})
    state = stack.service.desired_state(app)
    assert state.renders_performed == 0
    assert next(o for o in state.objects if o["kind"] == "Service")["spec"]["ports"] == [{"port": 80}]


def test_helm_value_file_from_another_path(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    source = {"repoURL": url, "path": "chart", "helm": {"valueFiles": ["../shared/values-prod.yaml"]}}
    app = application("web", source)
    first = stack.service.desired_state(app)
    assert first.renders_performed == 1
    repo.commit({"elsewhere/x.txt": "x\n"})
    assert stack.service.desired_state(app).renders_performed == 0
    repo.commit({"shared/values-prod.yaml": "message: from-shared-changed\n"})
    state = stack.service.desired_state(app)
    assert state.renders_performed == 1
    assert data_of(state.objects, "web-config")["message"] == "from-shared-changed"
    # the same chart without that value file is another recipe: its own render
    assert (
        stack.service.desired_state(application("other", {"repoURL": url, "path": "chart"})).renders_performed
        == 1
    )


def test_jsonnet_library_outside_the_path(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "jsonnet-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    jsonnet = {"extVars": [{"name": "env", "value": "prod"}, {"name": "app", "value": "x"},
                           {"name": "port", "value": "1", "code": True}], "libs": ["vendor"]}  # fmt: skip
    app = application("web", {"repoURL": url, "path": "app", "directory": {"jsonnet": jsonnet}})
    assert stack.service.desired_state(app).renders_performed == 1
    repo.commit({"other/file.txt": "x\n"})
    assert stack.service.desired_state(app).renders_performed == 0
    library = (repo.work / "vendor/k.libsonnet").read_text()
    repo.commit({"vendor/k.libsonnet": library + "\n// touched\n"})
    assert stack.service.desired_state(app).renders_performed == 1


def test_files_that_would_change_the_render_once_added(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    add_fixture(repo, "jsonnet-valid", prefix="js")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    helm = {"valueFiles": ["../overrides/web.yaml"], "ignoreMissingValueFiles": True}
    chart = application("web", {"repoURL": url, "path": "chart", "helm": helm})
    jsonnet = {"extVars": [{"name": "env", "value": "prod"}, {"name": "app", "value": "x"},
                           {"name": "port", "value": "1", "code": True}], "libs": ["js/first", "js/vendor"]}  # fmt: skip
    program = application("js", {"repoURL": url, "path": "js/app", "directory": {"jsonnet": jsonnet}})
    assert data_of(stack.service.desired_state(chart).objects, "web-config")["message"] != "overridden"
    assert stack.service.desired_state(program).renders_performed == 1
    repo.commit({"overrides/web.yaml": "message: overridden\n"})  # a missing value file appears
    state = stack.service.desired_state(chart)
    assert state.renders_performed == 1 and data_of(state.objects, "web-config")["message"] == "overridden"
    library = (repo.work / "js/vendor/k.libsonnet").read_text()
    # a library earlier in the search path now has k.libsonnet: it shadows vendor's
    repo.commit({"js/first/k.libsonnet": library})
    assert stack.service.desired_state(program).renders_performed == 1


def test_manifest_generate_paths_are_part_of_the_key(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "directory-recurse-valid")
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    app = application("web", {"repoURL": url, "path": "app"}, annotations={GENERATE_PATHS: ".;/config"})
    assert stack.service.desired_state(app).renders_performed == 1
    repo.commit({"config/flags.txt": "on\n"})  # not read by the render, but the annotation names it
    assert stack.service.desired_state(app).renders_performed == 1
    repo.commit({"other/x.txt": "x\n"})
    assert stack.service.desired_state(app).renders_performed == 0
    # a glob cannot be keyed by a tree id: every commit renders
    globbed = application("globbed", {"repoURL": url, "path": "app"}, annotations={GENERATE_PATHS: "/conf*"})
    assert stack.service.desired_state(globbed).renders_performed == 1
    repo.commit({"other/y.txt": "y\n"})
    assert stack.service.desired_state(globbed).renders_performed == 1


def test_what_tree_ids_cannot_cover_stays_keyed_by_commit(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "symlink-inside-repo-valid")
    repo.commit({"plain/cm.yaml": cm("plain", "one")})
    stack = make_stack(tmp_path, revision_cache_seconds=0)
    linked = application("linked", {"repoURL": url, "path": "app"})
    revision = application(
        "rev",
        {"repoURL": url, "path": "chart-less", "directory": {"jsonnet": {"extVars": [
            {"name": "rev", "value": "$ARGOCD_APP_REVISION"}]}}},
    )  # fmt: skip
    repo.commit({"chart-less/cm.yaml": cm("rev", "one")})
    assert stack.service.desired_state(linked).renders_performed == 1
    assert stack.service.desired_state(revision).renders_performed == 1
    repo.commit({"unrelated.txt": "x\n"})
    assert stack.service.desired_state(linked).renders_performed == 1  # a symlink under the path
    assert stack.service.desired_state(revision).renders_performed == 1  # the revision is an input
    repo.commit(
        {"shared/cm.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: s, labels: {changed: 'yes'}}\n"}
    )
    state = stack.service.desired_state(linked)
    assert state.renders_performed == 1
    assert all(o["metadata"].get("labels") == {"changed": "yes"} for o in state.objects)


def test_hosts_share_content_keyed_renders_through_redis(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    repo.commit({"apps/a/cm.yaml": cm("a", "1"), "apps/b/cm.yaml": cm("b", "1")})
    with private_redis(tmp_path / "redis") as client:
        first, second = (make_stack(tmp_path, cache=RedisCache(client), name=f"h{i}") for i in range(2))
        app = application("a", {"repoURL": url, "path": "apps/a"})
        assert first.service.desired_state(app).renders_performed == 1
        repo.commit({"apps/b/cm.yaml": cm("b", "2")})
        state = second.service.desired_state(app)  # another host, a new commit: no render
        assert state.renders_performed == 0 and state.cache_hits == 1


def test_tree_index_parses_ids_and_symlinks() -> None:
    output = "\0".join(
        [
            "040000 tree " + "a" * 40 + "\tapps",
            "040000 tree " + "b" * 40 + "\tapps/x",
            "100644 blob " + "c" * 40 + "\tapps/x/cm.yaml",
            "120000 blob " + "d" * 40 + "\tapps/x/deep/link.yaml",
        ]
    )
    index = parse_ls_tree("e" * 40, output + "\0")
    assert index.hash_of("./apps/x/") == "tree:" + "b" * 40 and index.hash_of("") == "e" * 40
    assert index.hash_of("missing") is None
    assert index.has_symlink_under("apps") and index.has_symlink_under("apps/x/deep")
    assert not index.has_symlink_under("apps/x/cm.yaml") and index.has_symlink_under("")


def test_a_forged_pointer_cannot_hide_an_input(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "kustomize-overlay-valid")
    cache = RecordingCache()
    stack = make_stack(tmp_path, cache=cache)
    app = application("web", {"repoURL": url, "path": "overlays/prod"})
    stack.service.desired_state(app)
    prefix = Keys().manifest_inputs("")
    pointers = [key[len(prefix) :] for key in cache.written if key.startswith(prefix)]
    assert len(pointers) == 1 and len([k for k in cache.written if k.startswith(Keys().manifests(""))]) == 1
    # a Redis writer claims the render read nothing outside its path
    ManifestCache(cache, b"guessed-key").put_inputs(pointers[0], CachedManifests([], "inputs", frozenset()))
    service_file = (repo.work / "base/service.yaml").read_text()
    repo.commit({"base/service.yaml": service_file.replace("port: 80", "port: 81")})
    other = make_stack(tmp_path, cache=cache, name="other", revision_cache_seconds=0)  # reads the pointer
    state = other.service.desired_state(app)
    assert state.renders_performed == 1
    assert next(o for o in state.objects if o["kind"] == "Service")["spec"]["ports"] == [{"port": 81}]
    assert other.metrics.value("manifest_cache_total", result="rejected") >= 1


class CountingCache(RecordingCache):
    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def get(self, key: str) -> bytes | None:
        self.read.append(key)
        return super().get(key)


def test_a_warm_lookup_costs_one_get(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    repo.commit({"apps/a/cm.yaml": cm("a", "1")})
    cache = CountingCache()
    stack = make_stack(tmp_path, cache=cache)
    app = application("a", {"repoURL": url, "path": "apps/a"})
    stack.service.desired_state(app)
    cache.read.clear()
    assert stack.service.desired_state(app).cache_hits == 1
    manifest_reads = [
        k for k in cache.read if k.startswith((Keys().manifests(""), Keys().manifest_inputs("")))
    ]
    assert manifest_reads == [k for k in cache.written if k.startswith(Keys().manifests(""))]
