"""Mirrors and snapshots against real git servers: fetch only what is missing, reuse, locking, eviction."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from gitserver import GitServer

from gitops.errors import RevisionNotFoundError
from gitops.source.mirrors import Mirrors


def _mirrors(tmp_path: Path, max_bytes: int = 10**9, max_age: float = 3600) -> Mirrors:
    return Mirrors(tmp_path / "cache", max_bytes, max_age)


def test_fetch_only_when_missing_and_reuse_snapshots(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("app")
    first = repo.commit({"app/a.yaml": "a: 1\n"}, "first")
    second = repo.commit({"app/a.yaml": "a: 2\n", "app/b.yaml": "b: 1\n"}, "second")
    url = git_server.url("app")
    mirrors = _mirrors(tmp_path)

    snap = mirrors.snapshot(url, second)
    assert git_server.requests("app") == 1
    assert (snap / "app" / "a.yaml").read_text() == "a: 2\n"
    assert mirrors.snapshot(url, second) == snap  # reused: no fetch, same directory
    older = mirrors.snapshot(url, first)  # an ancestor is already in the mirror
    assert (older / "app" / "a.yaml").read_text() == "a: 1\n" and not (older / "app" / "b.yaml").exists()
    assert git_server.requests("app") == 1

    third = repo.commit({"app/a.yaml": "a: 3\n"}, "third")
    assert (mirrors.snapshot(url, third) / "app" / "a.yaml").read_text() == "a: 3\n"
    assert git_server.requests("app") == 2
    assert mirrors.metrics.value("git_requests_total", type="fetch") == 2
    assert mirrors.metrics.value("snapshots_total", result="reused") == 1


def test_a_new_commit_fetches_only_its_new_objects(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("app")
    for k in range(5):
        repo.commit({f"app/file-{i}.yaml": f"v: {k} {i}\n" + "x" * 500 for i in range(40)}, f"history {k}")
    url = git_server.url("app", transport="git")
    mirrors = _mirrors(tmp_path)
    mirrors.snapshot(url, repo.head())
    git_dir = str(mirrors.mirror_path(url))

    def objects() -> dict[str, int]:
        out = subprocess.run(
            ["git", "--git-dir", git_dir, "count-objects", "-v"], capture_output=True, text=True
        )
        fields = dict(line.split(": ") for line in out.stdout.splitlines())
        return {"loose": int(fields["count"]), "packed": int(fields["in-pack"])}

    before = objects()
    mirrors.snapshot(url, repo.commit({"app/file-1.yaml": "v: changed\n"}, "one file"))
    after = objects()
    # the commit, its root and app trees and one blob: not the whole history again
    assert after["packed"] == before["packed"] and after["loose"] - before["loose"] <= 5, (before, after)


def test_snapshot_is_read_only_and_keeps_symlinks_as_links(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("links")
    (repo.work / "tool.sh").write_text("#!/bin/sh\n")
    os.chmod(repo.work / "tool.sh", 0o755)
    repo.commit({"app/cm.yaml": "x: 1\n"})
    repo.symlink("app/escape.yaml", "../../../etc/passwd")
    sha = repo.symlink("app/dir-link", "/etc")
    snap = _mirrors(tmp_path).snapshot(git_server.url("links", transport="git"), sha)
    assert os.readlink(snap / "app" / "escape.yaml") == "../../../etc/passwd"
    assert os.readlink(snap / "app" / "dir-link") == "/etc"
    assert (snap / "app" / "escape.yaml").is_symlink() and (snap / "app" / "dir-link").is_symlink()
    assert not (snap / ".git").exists()
    for path in (snap, snap / "app", snap / "app" / "cm.yaml"):
        assert os.stat(path).st_mode & 0o222 == 0, path
    assert os.stat(snap / "tool.sh").st_mode & 0o111


def test_abbreviated_commit_and_errors(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("app")
    sha = repo.commit({"a.yaml": "a: 1\n"})
    mirrors = _mirrors(tmp_path)
    url = git_server.url("app")
    assert mirrors.snapshot(url, sha[:8]).name == sha
    with pytest.raises(RevisionNotFoundError, match="not a commit SHA"):
        mirrors.snapshot(url, "--upload-pack=touch /tmp/pwned")
    with pytest.raises(RevisionNotFoundError, match="not in the repository") as info:
        mirrors.snapshot(url, "0123456789" * 4)
    assert "app.git" in str(info.value)


def test_two_processes_snapshot_the_same_commit_consistently(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("big")
    files: dict[str, str | bytes | None] = {f"dir{i % 20}/file{i}.yaml": f"n: {i}\n" * 50 for i in range(600)}
    sha = repo.commit(files, "many files")
    url = git_server.url("big")
    cache = tmp_path / "cache"
    go = tmp_path / "go"
    script = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from gitops.source.mirrors import Mirrors
        while not os.path.exists({str(go)!r}):
            time.sleep(0.001)
        snap = Mirrors(Path({str(cache)!r}), 10**9, 3600).snapshot({url!r}, {sha!r})
        names = sorted(str(p.relative_to(snap)) for p in snap.rglob("*"))
        print(snap, len(names), sum(len(p.read_bytes()) for p in snap.rglob("*.yaml")))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1]
    assert outputs[0][1] == str(600 + 20)
    assert git_server.requests("big") == 1  # the second process waited on the lock and found the commit
    leftovers = [p.name for p in Path(outputs[0][0]).parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_fetches_of_different_repositories_do_not_wait_for_each_other(
    git_server: GitServer, tmp_path: Path
) -> None:
    a = git_server.create_repo("a")
    b = git_server.create_repo("b")
    sha_a = a.commit({"x.yaml": "a"})
    sha_b = b.commit({"x.yaml": "b"})
    mirrors = _mirrors(tmp_path)
    url_a, url_b = git_server.url("a"), git_server.url("b")
    lock = mirrors.lock_path(url_a)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process is fetching repository a
    done_a = threading.Event()

    def snapshot_a() -> None:
        mirrors.snapshot(url_a, sha_a)
        done_a.set()

    thread = threading.Thread(target=snapshot_a)
    thread.start()
    try:
        assert mirrors.snapshot(url_b, sha_b).is_dir()  # b proceeds while a is locked
        assert not done_a.wait(0.3)  # a waits for the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    thread.join(30)
    assert done_a.is_set()


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_eviction_by_age_and_size_spares_leased_snapshots(git_server: GitServer, tmp_path: Path) -> None:
    repo = git_server.create_repo("app")
    shas = [repo.commit({"data.yaml": f"v: {i}\n" + "x" * 20_000}, f"c{i}") for i in range(4)]
    url = git_server.url("app")
    mirrors = _mirrors(tmp_path, max_age=3600)
    snaps = [mirrors.snapshot(url, sha) for sha in shas]
    fetches = git_server.requests("app")
    for index, snap in enumerate(snaps):  # snapshot 0 least recently used, 3 most
        _age(snap.with_name(snap.name + ".meta"), 100 - index)

    report = mirrors.evict()
    assert report.removed_snapshots == [] and report.removed_mirrors == []

    _age(snaps[0].with_name(snaps[0].name + ".meta"), 7200)  # unused for 2 h > max_age
    report = mirrors.evict()
    assert report.removed_snapshots == [snaps[0]] and not snaps[0].exists()

    mirrors.max_bytes = report.total_bytes_after - 1  # one entry too many
    (mirrors.mirror_path(url) / "bosun-used").touch()
    with mirrors.leased(url, shas[1]) as leased:
        assert leased == snaps[1]
        _age(leased.with_name(leased.name + ".meta"), 200)  # a long render: now the least recently used
        report = mirrors.evict()
    assert snaps[1].exists(), "a leased snapshot is never evicted"
    assert report.skipped_in_use == [snaps[1]]
    assert report.removed_snapshots == [snaps[2]]  # next least recently used
    assert snaps[3].exists()
    assert report.total_bytes_after <= mirrors.max_bytes

    again = mirrors.snapshot(url, shas[0])  # evicted snapshots come back on demand, without a fetch
    assert again == snaps[0] and (again / "data.yaml").read_text().startswith("v: 0")
    assert git_server.requests("app") == fetches


def test_eviction_removes_old_mirrors_but_not_one_being_fetched(
    git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("app")
    sha = repo.commit({"a.yaml": "a"})
    url = git_server.url("app")
    mirrors = _mirrors(tmp_path, max_age=60)
    snap = mirrors.snapshot(url, sha)
    _age(mirrors.mirror_path(url) / "bosun-used", 3600)
    _age(snap.with_name(snap.name + ".meta"), 3600)
    fd = os.open(mirrors.lock_path(url), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        report = mirrors.evict()
        assert report.removed_mirrors == [] and mirrors.mirror_path(url).is_dir()
        assert report.removed_snapshots == [snap]
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    report = mirrors.evict()
    assert report.removed_mirrors == [mirrors.mirror_path(url)] and not mirrors.mirror_path(url).exists()
    assert mirrors.snapshot(url, sha).is_dir()  # a new mirror is fetched on demand
    assert git_server.requests("app") == 2


def test_new_snapshots_trigger_eviction_at_most_once_per_interval(
    git_server: GitServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo("app")
    shas = [repo.commit({"data.yaml": f"v: {i}\n" + "x" * 50_000}, f"c{i}") for i in range(3)]
    url = git_server.url("app")
    mirrors = Mirrors(tmp_path / "cache", max_bytes=1, max_age_seconds=3600, auto_evict_seconds=0)
    first = mirrors.snapshot(url, shas[0])
    _age(first.with_name(first.name + ".meta"), 60)
    mirrors.snapshot(url, shas[1])  # over max_bytes: the older snapshot goes before a new one is made
    assert not first.exists()
    assert mirrors.metrics.value("evictions_total", what="snapshot") >= 1

    throttled = Mirrors(tmp_path / "cache", max_bytes=1, max_age_seconds=3600, auto_evict_seconds=3600)
    kept = throttled.snapshot(url, shas[1])
    throttled.snapshot(url, shas[2])  # the last eviction ran moments ago: none now
    assert kept.exists() and throttled.metrics.value("evictions_total", what="snapshot") == 0
