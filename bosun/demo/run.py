"""The demo scenario: start the stack, seed and serve the repository, register clusters and apps,
watch them converge, push a change with a signed webhook, time it, then idle until Ctrl-C (or stop
at once with --once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TextIO

import yaml

from bosun.demo.processes import DemoError
from bosun.demo.repo import DemoRepo
from bosun.demo.stack import REPO, DemoStack
from bosun.demo.watch import AppWatcher, Row
from bosun.demo.webhook import post_push, push_payload

EXAMPLES = REPO / "examples"
CHANGED_FILE = "guestbook/configmap.yaml"
OLD_MESSAGE, NEW_MESSAGE = "Hello from Bosun, version 1", "Hello from Bosun, version 2"


def say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def expected_apps(work: Path, clusters: list[str]) -> set[str]:
    """Applications the seeded repository leads to: registered, children of app-of-apps, and one
    `echo-<cluster>` per cluster of the ApplicationSet."""
    names = set()
    for path in [
        *sorted((work / "applications").glob("*.yaml")),
        *sorted((work / "app-of-apps" / "apps").glob("*.yaml")),
    ]:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Application":
                names.add(str(doc["metadata"]["name"]))
    return names | {f"echo-{c}" for c in clusters}


def server_of(kubeconfig: Path) -> str:
    """The API server URL of a kubeconfig's current context."""
    config = yaml.safe_load(kubeconfig.read_text())
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
    return str(
        next(c for c in config["clusters"] if c["name"] == context["cluster"])["cluster"]["server"]
    ).rstrip("/")


def _raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_demo(once: bool, timeout: float, out: TextIO = sys.stdout, keep_logs: Path | None = None) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    began = time.monotonic()
    stack = DemoStack()
    watcher: AppWatcher | None = None
    try:
        say(out, f"Bosun demo: every part is a local process; logs in {stack.tmp}/logs (removed on exit)")
        say(out, f"  redis     {stack.redis()}")
        say(out, f"  clusters  {stack.management()}")
        kubeconfigs = {"east": stack.management_kubeconfig}
        if not os.environ.get("BOSUN_KUBECONFIG"):
            kubeconfigs["west"] = stack.kubesim("west")
            say(out, "            kubesim `west` (a second cluster, for the ApplicationSet)")
        repo = DemoRepo(stack.tmp / "git")
        repo.served.mkdir(parents=True)
        url = f"{stack.git_daemon(repo.served)}/{repo.name}.git"
        first = repo.seed(EXAMPLES, url)
        say(out, f"  git       {url} (examples/ at {first[:7]}, served by git daemon)")
        stack.control_plane(workers=2)
        say(out, f"  bosun     server {stack.api_url}, 2 workers, beat, flower {stack.flower_url}")

        for name, kubeconfig in kubeconfigs.items():
            context = stack.kubectl(kubeconfig, "config", "current-context").strip()
            cli(stack, "cluster", "add", context, "--kubeconfig", str(kubeconfig), "--name", name,
                "--label", "bosun.dev/demo=true")  # fmt: skip
        stack.kubectl(stack.management_kubeconfig, "apply", "-f", str(repo.work / "applications"))
        wanted = expected_apps(repo.work, list(kubeconfigs))
        registered = time.monotonic()
        say(out, f"\nRegistered {len(wanted)} apps (kubectl apply of Argo CD resources); waiting for them:\n")

        servers = {server_of(k): name for name, k in kubeconfigs.items()}
        watcher = AppWatcher(stack.api_url, stack.creds.read_token, out, servers)

        def converged(revision: str) -> Callable[[dict[str, Row]], bool]:
            def check(rows: dict[str, Row]) -> bool:
                return wanted <= set(rows) and all(
                    r.converged and (not revision or r.revision == revision) for r in rows.values()
                )

            return check

        watcher.until(converged(""), "every app is Synced and Healthy", timeout)
        watcher.freeze()
        now = time.monotonic()
        say(out, f"All {len(wanted)} apps Synced and Healthy after {now - began:.1f}s "
                 f"({now - registered:.1f}s after registration).\n")  # fmt: skip

        repo.edit(CHANGED_FILE, OLD_MESSAGE, NEW_MESSAGE)
        second = repo.commit("guestbook: version 2")
        body = push_payload(url, first, second, [CHANGED_FILE], "guestbook: version 2")
        pushed = time.monotonic()
        reply = post_push(stack.api_url, stack.creds.webhook_secret, body)
        if reply.status_code >= 300:
            raise DemoError(
                f"webhook answered {reply.status_code}: {reply.text[:200]}", target="POST /api/webhook"
            )
        say(out, f"Committed {second[:7]} ({CHANGED_FILE}) and posted a signed GitHub push webhook "
                 f"(answered {reply.status_code} {reply.json().get('status')} in {(time.monotonic() - pushed) * 1000:.0f} ms):\n")  # fmt: skip

        def deployed(rows: dict[str, Row]) -> bool:
            row = rows.get("guestbook")
            return row is not None and row.converged and row.revision == second

        watcher.until(deployed, f"guestbook runs {second[:7]}", 60)
        took = time.monotonic() - pushed
        live = stack.kubectl(stack.management_kubeconfig, "get", "configmap", "guestbook-config", "-n",
                             "guestbook", "-o", "jsonpath={.data.MESSAGE}")  # fmt: skip
        if live != NEW_MESSAGE:
            raise DemoError(f"guestbook-config says {live!r}", target="configmap guestbook/guestbook-config",
                            hint="the app reports the new revision but the cluster does not have it")  # fmt: skip
        watcher.freeze()
        say(out, f"Webhook change deployed: guestbook at {second[:7]}, cluster says {live!r}, "
                 f"{took:.1f}s from push to Synced and Healthy.\n")  # fmt: skip

        credentials = stack.write_credentials()
        say(
            out,
            f"API     {stack.api_url}   (OpenAPI: {stack.api_url}/docs, metrics: {stack.api_url}/metrics)",
        )
        say(out, f"Flower  {stack.flower_url}   (user admin; password in {credentials})")
        say(out, f"CLI     source {credentials} && .venv/bin/bosun app list\n")
        say(out, cli(stack, "app", "list").rstrip())
        if once:
            say(out, f"\ndemo: --once: {len(wanted)} apps Synced and Healthy, webhook change deployed in "
                     f"{took:.1f}s; total {time.monotonic() - began:.1f}s. Stopping.")  # fmt: skip
            return 0
        say(
            out,
            "\nRunning until Ctrl-C (the table follows changes: try `bosun app sync`, or edit the cluster).",
        )
        while True:
            watcher.show(watcher.rows(), "Ctrl-C stops every process of the demo")
            time.sleep(2)
    except KeyboardInterrupt:
        say(out, "\ndemo: interrupted")
        return 0 if not once else 130
    except DemoError as exc:
        say(out, f"\ndemo: failed: {exc}")
        for child in stack.children:
            if child.name.startswith(("worker", "server")):
                say(out, f"--- last lines of {child.name} ---\n{child.tail(20)}")
        return 1
    finally:
        if watcher is not None:
            watcher.close()
        say(out, "demo: stopping every process it started and removing its files ...")
        stack.close(keep_logs)
        say(out, "demo: stopped.")


def cli(stack: DemoStack, *args: str) -> str:
    """Run `bosun ARGS` against the stack (the same CLI a user runs)."""
    done = subprocess.run([sys.executable, "-m", "bosun.cli", *args], env=stack.bosun_env(), cwd=REPO,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    if done.returncode != 0:
        raise DemoError(f"`bosun {' '.join(args[:2])}` failed: {done.stderr.strip()}")
    return done.stdout
