"""Test helpers: real git repositories served on loopback, anonymously and with HTTP auth.

`GitServer(root)` starts two real servers for the repositories it creates:
- `git daemon` (anonymous, `git://127.0.0.1:PORT/NAME.git`), exporting public repositories only;
- `git http-backend` behind a small threaded Python HTTP server (`http://127.0.0.1:PORT/NAME.git`)
  that requires HTTP Basic auth for private repositories: username/password (`server.username`,
  `server.password`) or a token as password with any username (`server.token`).

    repo = server.create_repo("app", private=False)       # -> WorkRepo on branch main
    sha = repo.commit({"app/cm.yaml": "...", "old.yaml": None}, "message")   # None deletes
    repo.tag("v1.0.0", annotated=True); repo.branch("dev"); repo.checkout("dev"); repo.symlink(...)
    server.url("app", transport="http" | "git", auth=None | "basic" | "token")  # auth: userinfo in URL
    server.requests("app")       # authorised `info/refs` requests (one per ls-remote or fetch)

Every change in a WorkRepo is pushed (`push --mirror`) to the served bare repository at once.
Fixtures `git_server` (function scope) are registered in tests/conftest.py. `stop()` ends both servers.
`private_redis(directory)`: a private redis-server on a unix socket (no TCP port), as a context manager.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from git_http_backend import GitHttpServer

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bosun Tests",
    "GIT_AUTHOR_EMAIL": "tests@bosun.invalid",
    "GIT_COMMITTER_NAME": "Bosun Tests",
    "GIT_COMMITTER_EMAIL": "tests@bosun.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


class WorkRepo:
    """A working repository whose every change is mirrored to the served bare repository."""

    def __init__(self, name: str, work: Path, bare: Path) -> None:
        self.name = name
        self.work = work
        self.bare = bare

    def git(self, *args: str) -> str:
        return _git(*args, cwd=self.work)

    def _publish(self) -> None:
        self.git("push", "--quiet", "--mirror", "--force", str(self.bare))

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Writes (or deletes, for None) files, commits everything and returns the commit SHA."""
        for rel, content in files.items():
            path = self.work / rel
            if content is None:
                if path.is_symlink() or path.exists():
                    path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                path.unlink()
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        self._publish()
        return self.head()

    def symlink(self, rel: str, target: str, message: str = "symlink") -> str:
        """Commits a symbolic link `rel` -> `target` (target kept verbatim, even if it escapes)."""
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target, path)
        return self.commit({}, message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = False, at: str = "HEAD") -> str:
        """Creates a tag (annotated or light) and returns the commit it points at."""
        if annotated:
            self.git("tag", "-a", "-m", f"tag {name}", name, at)
        else:
            self.git("tag", name, at)
        self._publish()
        return self.git("rev-parse", f"{name}^{{commit}}")

    def delete_tag(self, name: str) -> None:
        self.git("tag", "-d", name)
        self._publish()

    def branch(self, name: str, at: str = "HEAD") -> str:
        self.git("branch", "--force", name, at)
        self._publish()
        return self.git("rev-parse", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "--quiet", name)

    def set_default_branch(self, name: str) -> None:
        """Points the served repository's HEAD (the default branch) at `name`."""
        _git("symbolic-ref", "HEAD", f"refs/heads/{name}", cwd=self.bare)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        time.sleep(0.02)
    return False


class GitServer:
    """Serves repositories under `root` with git daemon and git http-backend (see module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "served"
        self.work_root = root / "work"
        self.root.mkdir(parents=True)
        self.work_root.mkdir(parents=True)
        self.private: set[str] = set()
        self.username = "alice"
        self.password = "pw-" + base64.b32encode(os.urandom(10)).decode().lower()
        self.token = "tok-" + base64.b32encode(os.urandom(10)).decode().lower()
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._http = GitHttpServer(self)
        self.http_port = int(self._http.server_address[1])
        self._http_thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._http_thread.start()
        self._daemon, self.daemon_port = self._start_daemon()

    def _start_daemon(self) -> tuple[subprocess.Popen[bytes], int]:
        for _ in range(20):
            port = _free_port()
            proc = subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
                 f"--base-path={self.root}", "--informative-errors", str(self.root)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **GIT_ENV},
            )  # fmt: skip
            if _wait_port(port, proc, time.monotonic() + 5):
                return proc, port
            proc.kill()
            proc.wait()
        raise RuntimeError("git daemon did not start")

    def count(self, repo: str) -> None:
        with self._count_lock:
            self._counts[repo] += 1

    def requests(self, name: str) -> int:
        """Authorised HTTP `info/refs` requests for repository `name` (each ls-remote or fetch makes one)."""
        with self._count_lock:
            return self._counts[name]

    def create_repo(self, name: str, *, private: bool = False, default_branch: str = "main") -> WorkRepo:
        bare = self.root / f"{name}.git"
        _git("init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(bare))
        if private:
            self.private.add(name)
        else:
            (bare / "git-daemon-export-ok").touch()
        work = self.work_root / name
        _git("init", "--quiet", f"--initial-branch={default_branch}", str(work))
        return WorkRepo(name, work, bare)

    def url(self, name: str, *, transport: str = "http", auth: str | None = None) -> str:
        """URL of repository `name`; `auth` ("basic" or "token") puts credentials in the URL's userinfo."""
        if transport == "git":
            return f"git://127.0.0.1:{self.daemon_port}/{name}.git"
        userinfo = ""
        if auth == "basic":
            userinfo = f"{quote(self.username)}:{quote(self.password)}@"
        elif auth == "token":
            userinfo = f"x-access-token:{quote(self.token)}@"
        return f"http://{userinfo}127.0.0.1:{self.http_port}/{name}.git"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._daemon.terminate()
        try:
            self._daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._daemon.kill()
            self._daemon.wait()


@contextmanager
def private_redis(directory: Path) -> Iterator[redis.Redis]:
    """Starts redis-server (no TCP port, no persistence) and yields a bytes client; stops it after."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server must be on PATH"
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=str(sock))
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("private redis-server did not start") from None
                time.sleep(0.02)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
