"""RevisionResolver.advance: a verified push's branch moves applied to the cached ref list (real git
server, real ls-remote): no ls-remote for the refreshes, never a move backwards, never a ref the
push did not name, and a forget (one ls-remote) whenever the move cannot be applied."""

from __future__ import annotations

from pathlib import Path

from gitserver import GitServer, private_redis

from gitops.cache import MemoryCache, RedisCache
from gitops.keys import Keys
from gitops.source.git_metrics import GitMetrics
from gitops.source.git_remote import GitRemote
from gitops.source.mirrors import Mirrors
from gitops.source.push_priming import PushPrimer
from gitops.source.repo_url import repo_digest
from gitops.source.revisions import RevisionResolver

HMAC = b"advance-test-hmac-key"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def resolver(cache: MemoryCache | RedisCache, clock: Clock | None = None) -> RevisionResolver:
    return RevisionResolver(cache, GitRemote(), 180, GitMetrics(), hmac_key=HMAC, clock=clock or Clock())


def ls_remotes(r: RevisionResolver) -> float:
    return r.metrics.value("git_requests_total", type="ls-remote")


def test_a_branch_move_is_applied_without_ls_remote(git_server: GitServer) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    dev = repo.branch("dev")
    url = git_server.url("apps")
    r = resolver(MemoryCache())
    assert r.resolve(url, "HEAD").sha == first and r.resolve(url, "dev").sha == dev
    second = repo.commit({"a.yaml": "a: 2\n"})
    assert r.advance(url, [("refs/heads/main", first, second)], ["HEAD", "main"])
    for target in ("HEAD", "", "main", "refs/heads/main"):
        assert r.resolve(url, target).sha == second, target
    assert r.resolve(url, "dev").sha == dev  # a ref the push did not name keeps its commit
    assert ls_remotes(r) == 1
    assert r.metrics.value("revision_cache_total", result="advanced") == 1


def test_a_late_or_replayed_move_is_not_applied(git_server: GitServer) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    url = git_server.url("apps")
    r = resolver(MemoryCache())
    r.resolve(url, "main")
    second = repo.commit({"a.yaml": "a: 2\n"})
    third = repo.commit({"a.yaml": "a: 3\n"})
    # the push of `third` is delivered first: the cache is at `first`, not `second`: forgotten
    assert not r.advance(url, [("refs/heads/main", second, third)], ["main"])
    assert r.resolve(url, "main").sha == third and ls_remotes(r) == 2
    # then the late delivery of `second`: the cache is at `third`: forgotten, never moved back
    assert not r.advance(url, [("refs/heads/main", first, second)], ["main"])
    assert r.resolve(url, "main").sha == third and ls_remotes(r) == 3


def test_only_branch_moves_between_commits_are_applied(git_server: GitServer) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    repo.tag("v1", annotated=True)
    url = git_server.url("apps")
    r = resolver(MemoryCache())
    r.resolve(url, "main")
    other = "1" * 40
    assert not r.advance(url, [("refs/tags/v1", first, other)], ["v1"])
    r.resolve(url, "main")
    assert not r.advance(url, [("refs/heads/main", first, "0" * 40)], ["main"])  # a deletion
    r.resolve(url, "main")
    assert not r.advance(url, [("refs/heads/new", "0" * 40, other)], ["new"])  # a creation
    assert not r.advance(url, [], ["main"])  # nothing verified: forget
    assert r.resolve(url, "main").sha == first and r.resolve(url, "v1").sha == first


def test_nothing_cached_or_expired_means_forget(git_server: GitServer) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    url = git_server.url("apps")
    clock = Clock()
    r = resolver(MemoryCache(), clock)
    second = repo.commit({"a.yaml": "a: 2\n"})
    assert not r.advance(url, [("refs/heads/main", first, second)], ["main"])  # no list cached
    r.resolve(url, "main")
    clock.now += 181
    third = repo.commit({"a.yaml": "a: 3\n"})
    assert not r.advance(url, [("refs/heads/main", second, third)], ["main"])
    assert r.resolve(url, "main").sha == third


def test_the_advanced_list_is_authenticated_and_keeps_its_expiry(
    git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    url = git_server.url("apps")
    with private_redis(tmp_path / "redis") as client:
        clock = Clock()
        r = resolver(RedisCache(client), clock)
        r.resolve(url, "main")
        key = Keys().git_refs(repo_digest(url))
        second = repo.commit({"a.yaml": "a: 2\n"})
        clock.now += 60  # the list was listed a minute ago: it still expires at 180 s, not 60 + 180
        assert r.advance(url, [("refs/heads/main", first, second)], ["main"])
        assert 0 < client.pttl(key) <= 120_000
        # another worker with the same key reads the advanced list; a wrong key rejects it
        assert resolver(RedisCache(client)).resolve(url, "main").sha == second
        stranger = RevisionResolver(RedisCache(client), GitRemote(), 180, GitMetrics(), hmac_key=b"other")
        assert stranger.resolve(url, "main").sha == second  # re-listed, not trusted
        assert stranger.metrics.value("revision_cache_total", result="rejected") >= 1


def test_a_busy_fill_lock_means_forget_never_an_unlocked_apply(git_server: GitServer) -> None:
    repo = git_server.create_repo("apps")
    first = repo.commit({"a.yaml": "a: 1\n"})
    url = git_server.url("apps")
    cache = MemoryCache()
    r = RevisionResolver(cache, GitRemote(), 180, GitMetrics(), hmac_key=HMAC, lock_seconds=0.3)
    r.resolve(url, "main")
    second = repo.commit({"a.yaml": "a: 2\n"})
    cache.add(Keys().git_refs_lock(repo_digest(url)), b"another-worker", 60)  # a slow ls-remote
    assert not r.advance(url, [("refs/heads/main", first, second)], ["main"])
    assert cache.get(Keys().git_refs(repo_digest(url))) is None  # forgotten, not advanced


def test_prefetch_failures_are_reported_not_raised(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("apps")
    head = repo.commit({"a.yaml": "a: 1\n"})
    url = git_server.url("apps")
    primer = PushPrimer(resolver(MemoryCache()), Mirrors(tmp_path / "cache", 10**9, 3600))
    assert primer.prefetch(url, head)
    assert (tmp_path / "cache" / "snapshots").is_dir()
    assert not primer.prefetch(url, "f" * 40)  # not in the repository: the refresh reports it
