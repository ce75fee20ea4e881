"""git failures become clear GitErrors: a hung server is killed at the time limit, a closed port is unreachable."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from gitops.errors import GitError
from gitops.source.git_remote import GitRemote, GitRunner, parse_ls_remote


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(sock.getsockname()[1])
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    sock.close()


def test_a_hung_server_is_killed_at_the_time_limit(silent_server: int) -> None:
    remote = GitRemote(GitRunner(timeout_seconds=1.0))
    started = time.monotonic()
    with pytest.raises(GitError, match="timed out after 1s") as info:
        remote.ls_remote(f"http://127.0.0.1:{silent_server}/repo.git")
    assert time.monotonic() - started < 15
    assert "BOSUN_GIT_TIMEOUT_SECONDS" in str(info.value)


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with pytest.raises(GitError, match="unreachable") as info:
        GitRemote().ls_remote(f"http://bob:pw-Secret-1@127.0.0.1:{port}/repo.git")
    assert "pw-Secret-1" not in str(info.value) and f"127.0.0.1:{port}/repo.git" in str(info.value)


def test_parse_ls_remote_keeps_symrefs_and_peeled_tags() -> None:
    out = (
        "ref: refs/heads/main\tHEAD\n"
        + "A" * 40
        + "\tHEAD\n"
        + "a" * 40
        + "\trefs/heads/main\n"
        + "b" * 40
        + "\trefs/tags/v1\n"
        + "c" * 40
        + "\trefs/tags/v1^{}\n"
    )
    assert parse_ls_remote(out) == {
        "HEAD": "ref: refs/heads/main",
        "refs/heads/main": "a" * 40,
        "refs/tags/v1": "b" * 40,
        "refs/tags/v1^{}": "c" * 40,
    }
