"""The manifest cache: authenticated entries in a real Redis, forgeries refused, reuse rules."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from gitserver import private_redis

from gitops.cache import ByteCache, MemoryCache, RedisCache
from gitops.keys import Keys
from gitops.source.manifest_cache import (
    MAGIC,
    CachedManifests,
    ManifestCache,
    cache_digest,
    relevant_paths,
    unaffected,
)

ENTRY = CachedManifests(
    objects=[
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"k": "v" * 50}}
        for i in range(10)
    ],
    source_type="Directory",
    inputs=frozenset({"shared/base"}),
)
TOOLS = {"helm": "v4.1.4", "kustomize": "v5.7.1"}


def digest(**overrides: object) -> str:
    fields: dict[str, object] = {
        "repo": "git.example/org/repo",
        "commit": "a" * 40,
        "path": "apps/web",
        "params_hash": "p",
        "tools": TOOLS,
    }
    fields.update(overrides)
    return cache_digest(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ByteCache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    with private_redis(tmp_path / "redis") as client:
        yield RedisCache(client)


def test_round_trip_is_compressed_and_returns_fresh_objects(backend: ByteCache) -> None:
    cache = ManifestCache(backend, b"k" * 32)
    cache.put(digest(), ENTRY)
    raw = backend.get(Keys().manifests(digest()))
    assert raw is not None and raw.startswith(MAGIC) and len(raw) < len(orjson.dumps(ENTRY.objects)) / 2
    first, second = cache.get(digest()), cache.get(digest())
    assert first == ENTRY and second == ENTRY
    assert first is not None and second is not None
    first.objects[0]["metadata"]["name"] = "mutated"
    assert second.objects[0]["metadata"]["name"] == "cm-0"


def test_entries_are_shared_between_processes_with_the_same_key(backend: ByteCache) -> None:
    ManifestCache(backend, b"shared-key").put(digest(), ENTRY)
    assert ManifestCache(backend, b"shared-key").get(digest()) == ENTRY


def test_forged_entry_is_refused_and_counted(backend: ByteCache, caplog: pytest.LogCaptureFixture) -> None:
    attacker = ManifestCache(backend, b"attacker-guess")
    evil = CachedManifests(
        [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "miner-marker"}}], "Directory", frozenset()
    )
    attacker.put(digest(), evil)
    victim = ManifestCache(backend, b"real-key")
    assert victim.get(digest()) is None
    assert victim.metrics.value("manifest_cache_total", result="rejected") == 1
    assert "HMAC mismatch" in caplog.text and "miner-marker" not in caplog.text


def test_entry_moved_to_another_key_is_refused(backend: ByteCache) -> None:
    cache = ManifestCache(backend, b"k")
    cache.put(digest(), ENTRY)
    other = digest(path="apps/other")
    raw = backend.get(Keys().manifests(digest()))
    assert raw is not None
    backend.set(Keys().manifests(other), raw, 60)
    assert cache.get(other) is None


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "unsigned"])
def test_corrupted_entry_is_a_miss(backend: ByteCache, damage: str) -> None:
    cache = ManifestCache(backend, b"k")
    cache.put(digest(), ENTRY)
    key = Keys().manifests(digest())
    raw = backend.get(key)
    assert raw is not None
    damaged = {
        "flip": raw[:-1] + bytes([raw[-1] ^ 1]),
        "truncate": raw[:40],
        "garbage": b"\x00" * 100,
        "unsigned": zlib.compress(orjson.dumps({"objects": [], "type": "Directory", "inputs": []})),
    }[damage]
    backend.set(key, damaged, 60)
    assert cache.get(digest()) is None


def test_every_part_of_the_identity_changes_the_digest() -> None:
    base = digest()
    variants = [
        digest(repo="git.example/org/other"),
        digest(commit="b" * 40),
        digest(path="apps/api"),
        digest(params_hash="q"),
        digest(tools={**TOOLS, "helm": "v4.1.5"}),
    ]
    assert len({base, *variants}) == 6
    assert digest() == base


def test_empty_hmac_key_still_authenticates_with_a_process_key(caplog: pytest.LogCaptureFixture) -> None:
    backend = MemoryCache()
    first = ManifestCache(backend, b"")
    first.put(digest(), ENTRY)
    assert first.get(digest()) == ENTRY
    assert ManifestCache(backend, b"").get(digest()) is None  # another process cannot read (nor forge) it
    assert "HMAC_KEY is empty" in caplog.text


def test_relevant_paths_follow_manifest_generate_paths() -> None:
    paths = relevant_paths("apps/web", (".", "/shared/base", "../common"), frozenset({"lib/x.libsonnet"}))
    assert paths == ["apps/web", "apps/web", "shared/base", "apps/common", "lib/x.libsonnet"]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (("apps/api/deploy.yaml", "README.md"), True),
        (("apps/web/deploy.yaml",), False),
        (("apps/webhook/x.yaml",), True),  # a sibling sharing the prefix is not under apps/web
        (("shared/base/kustomization.yaml",), False),
        ((), False),  # nothing known about the push: render
    ],
)
def test_unaffected(changed: tuple[str, ...], expected: bool) -> None:
    assert unaffected(changed, relevant_paths("apps/web", ("/shared/base",), frozenset())) is expected


def test_root_path_app_is_affected_by_any_change() -> None:
    assert not unaffected(("anything/at/all.txt",), relevant_paths("", (), frozenset()))


@pytest.mark.parametrize(
    ("generate_path", "changed", "expected"),
    [
        ("/charts/*/values.yaml", "charts/web/values.yaml", False),
        ("/charts/*/values.yaml", "charts/web/templates/values.yaml", True),  # * stays in one segment
        ("/envs/prod-?", "envs/prod-a/app.yaml", False),
        ("/envs/[ab]", "envs/c/app.yaml", True),
    ],
)
def test_manifest_generate_paths_globs(generate_path: str, changed: str, expected: bool) -> None:
    assert unaffected((changed,), relevant_paths("apps/web", (generate_path,), frozenset())) is expected
