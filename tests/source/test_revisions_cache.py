"""RevisionResolver: one ls-remote per repository per TTL whatever the number of apps, workers or hosts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from gitserver import GitServer, private_redis

from gitops.cache import MemoryCache, RedisCache
from gitops.errors import GitAuthError
from gitops.keys import Keys
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote
from gitops.source.repo_url import repo_digest
from gitops.source.revisions import RevisionResolver

TARGETS = ["", "HEAD", "main", "refs/heads/main", "v1.0.0", "refs/tags/v1.0.0", "1.*", "dev"]


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_client(tmp_path: Path) -> Iterator[redis.Redis]:
    with private_redis(tmp_path / "redis") as client:
        yield client


def _repo(server: GitServer) -> dict[str, str]:
    repo = server.create_repo("mono")
    main = repo.commit({"a.yaml": "a: 1\n"})
    repo.tag("v1.0.0", annotated=True)
    dev = repo.branch("dev")
    return {"main": main, "dev": dev}


def test_thousand_apps_on_two_workers_cause_one_ls_remote(
    git_server: GitServer, redis_client: redis.Redis
) -> None:
    shas = _repo(git_server)
    url = git_server.url("mono")
    metrics = GitMetrics()
    workers = [
        RevisionResolver(
            RedisCache(redis_client), GitRemote(), ttl_seconds=180, metrics=metrics, keys=Keys("t1")
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(16)

    def app(index: int) -> str:
        if index < 16:
            barrier.wait()  # a cold-cache stampede: 16 apps at once
        return workers[index % 2].resolve(url, TARGETS[index % len(TARGETS)]).sha

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(app, range(1000)))
    assert set(results) == {shas["main"], shas["dev"]}
    assert git_server.requests("mono") == 1
    assert metrics.value("git_requests_total", type="ls-remote") == 1
    hits = metrics.value("revision_cache_total", result="hit")
    assert hits >= 1000 - len(TARGETS) * 2 - 16


def test_workers_in_separate_processes_share_one_ls_remote(
    git_server: GitServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    _repo(git_server)
    url = git_server.url("mono")
    sock = redis_client.connection_pool.connection_kwargs["path"]
    script = textwrap.dedent(
        f"""
        import redis
        from concurrent.futures import ThreadPoolExecutor
        from gitops.cache import RedisCache
        from gitops.keys import Keys
        from gitops.source.git_remote import GitRemote
        from gitops.source.revisions import RevisionResolver
        r = RevisionResolver(RedisCache(redis.Redis(unix_socket_path={sock!r})), GitRemote(), 180, keys=Keys("t2"))
        with ThreadPoolExecutor(8) as pool:
            shas = set(pool.map(lambda i: r.resolve({url!r}, "main").sha, range(200)))
        print(len(shas), int(r.metrics.value("git_requests_total", type="ls-remote")))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all(out[0] == "1" for out in outputs)
    assert sum(int(out[1]) for out in outputs) == 1
    assert git_server.requests("mono") == 1


def test_ttl_expiry_force_and_new_commits(git_server: GitServer) -> None:
    shas = _repo(git_server)
    url = git_server.url("mono")
    clock = Clock()
    cache = MemoryCache(clock)
    resolver = RevisionResolver(cache, GitRemote(), ttl_seconds=180, clock=clock)
    assert resolver.resolve(url, "main").sha == shas["main"]
    newer = git_server.create_repo  # keep the server's repo object for a new commit
    del newer
    work = git_server.work_root / "mono"
    subprocess.run(
        ["git", "-C", str(work), "commit", "--allow-empty", "-qm", "newer"], check=True, env=_git_env()
    )
    subprocess.run(
        ["git", "-C", str(work), "push", "-q", "--mirror", str(git_server.root / "mono.git")],
        check=True,
        env=_git_env(),
    )
    new_main = subprocess.run(
        ["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()

    clock.now += 179
    assert resolver.resolve(url, "main").sha == shas["main"]  # cached: no ls-remote
    assert resolver.resolve(url, "dev").sha == shas["dev"]  # other ref, same cached list
    assert git_server.requests("mono") == 1

    assert resolver.resolve(url, "main", force=True).sha == new_main  # hard refresh bypasses
    assert git_server.requests("mono") == 2
    assert resolver.resolve(url, "main").sha == new_main  # and refreshes the shared entry

    clock.now += 181
    assert resolver.resolve(url, "main").sha == new_main
    assert git_server.requests("mono") == 3

    refreshed = resolver.refresh(url, ["main", "dev", "v1.0.0"])
    assert refreshed["main"].sha == new_main and refreshed["dev"].sha == shas["dev"]
    assert git_server.requests("mono") == 4


def test_ttl_zero_disables_the_cache_and_full_shas_need_no_ls_remote(git_server: GitServer) -> None:
    shas = _repo(git_server)
    url = git_server.url("mono")
    cache = MemoryCache()
    resolver = RevisionResolver(cache, GitRemote(), ttl_seconds=0)
    for _ in range(3):
        assert resolver.resolve(url, "main").sha == shas["main"]
    assert git_server.requests("mono") == 3
    assert cache.get(Keys().git_refs(repo_digest(url))) is None
    assert resolver.resolve(url, shas["dev"]).sha == shas["dev"]
    assert git_server.requests("mono") == 3


def test_url_spellings_of_one_repo_share_the_cache(git_server: GitServer) -> None:
    _repo(git_server)
    resolver = RevisionResolver(MemoryCache(), GitRemote(), ttl_seconds=180)
    base = git_server.url("mono")
    for spelling in (base, base.removesuffix(".git"), base.replace("127.0.0.1", "127.0.0.1") + "/"):
        resolver.resolve(spelling, "main")
    assert git_server.requests("mono") == 1


def _git_env() -> dict[str, str]:
    import os

    from gitserver import GIT_ENV

    return {**os.environ, **GIT_ENV}


def test_forged_cache_entries_are_ignored_with_an_hmac_key(git_server: GitServer) -> None:
    shas = _repo(git_server)
    url = git_server.url("mono")
    cache = MemoryCache()
    resolver = RevisionResolver(cache, GitRemote(), ttl_seconds=180, hmac_key=b"k" * 32)
    assert resolver.resolve(url, "main").sha == shas["main"]
    digest = repo_digest(url)
    evil = "e" * 40
    # an attacker with write access to the cache points main at another commit, in both entries
    cache.set(
        Keys().revision(digest, "main"),
        b'{"sha":"%s","ref":"refs/heads/main","kind":"branch"}' % evil.encode(),
        180,
    )
    cache.set(
        Keys().git_refs(digest), b'{"fetched_at":1e12,"refs":{"refs/heads/main":"%s"}}' % evil.encode(), 180
    )
    assert resolver.resolve(url, "main").sha == shas["main"]
    assert resolver.metrics.value("revision_cache_total", result="rejected") >= 2
    assert git_server.requests("mono") == 2  # the forged entries cost a fresh ls-remote, nothing else
    unsigned = RevisionResolver(cache, GitRemote(), ttl_seconds=180)
    cache.set(
        Keys().revision(digest, "dev"),
        b'{"sha":"%s","ref":"refs/heads/dev","kind":"branch"}' % evil.encode(),
        180,
    )
    assert unsigned.resolve(url, "dev").sha == evil  # without a key the cache is trusted (documented)


def test_a_failing_server_is_asked_once_per_error_ttl(git_server: GitServer) -> None:
    private = git_server.create_repo("locked", private=True)
    private.commit({"a": "1"})
    url = git_server.url("locked").replace("http://", "http://alice:Wrong-Pass-77@")
    clock = Clock()
    resolver = RevisionResolver(MemoryCache(clock), GitRemote(), ttl_seconds=180, clock=clock)
    errors = []
    for _ in range(50):
        with pytest.raises(GitAuthError) as info:
            resolver.resolve(url, "main")
        errors.append(str(info.value))
    assert resolver.metrics.value("git_requests_total", type="ls-remote") == 1
    assert len(set(errors)) == 1 and "Wrong-Pass-77" not in errors[0] and "credentials" in errors[0]
    with pytest.raises(GitAuthError):
        resolver.resolve(url, "main", force=True)  # a hard refresh asks again at once
    assert resolver.metrics.value("git_requests_total", type="ls-remote") == 2
    clock.now += 11
    good = url.replace("Wrong-Pass-77", git_server.password)
    assert resolver.resolve(good, "main").kind == "branch"  # after the error TTL, a fresh attempt
