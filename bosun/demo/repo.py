"""The demo's git repository: examples/ copied into a work tree (every `DEMO_REPO_URL` replaced by the
served URL), committed on `main` and pushed to a bare repository that `git daemon` serves."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bosun.demo.processes import DemoError

PLACEHOLDER = "DEMO_REPO_URL"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bosun Demo", "GIT_AUTHOR_EMAIL": "demo@bosun.invalid",
    "GIT_COMMITTER_NAME": "Bosun Demo", "GIT_COMMITTER_EMAIL": "demo@bosun.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}  # fmt: skip


class DemoRepo:
    def __init__(self, root: Path, name: str = "examples") -> None:
        self.served = root / "served"
        self.bare = self.served / f"{name}.git"
        self.work = root / "work"
        self.name = name

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd or self.work, capture_output=True, text=True,
                              env={**os.environ, **GIT_ENV}, timeout=60)  # fmt: skip
        if done.returncode != 0:
            raise DemoError(f"git {args[0]} failed: {done.stderr.strip()}", target=str(cwd or self.work))
        return done.stdout.strip()

    def seed(self, examples: Path, url: str) -> str:
        """Copy `examples` in, point its Applications at `url`, commit and push; the commit's sha."""
        self.served.mkdir(parents=True, exist_ok=True)
        self.git("init", "--bare", "--initial-branch=main", str(self.bare), cwd=self.served)
        shutil.copytree(examples, self.work)
        for path in self.work.rglob("*"):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".jsonnet", ".json"):
                text = path.read_text()
                if PLACEHOLDER in text:
                    path.write_text(text.replace(PLACEHOLDER, url))
        self.git("init", "--initial-branch=main")
        self.git("remote", "add", "origin", str(self.bare))
        return self.commit("Demo apps from examples/")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", "origin", "main")
        return self.git("rev-parse", "HEAD")

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.work / relative
        text = path.read_text()
        if old not in text:
            raise DemoError(
                f"{old!r} not found", target=str(path), hint="examples/ changed; update bosun/demo/run.py"
            )
        path.write_text(text.replace(old, new))
