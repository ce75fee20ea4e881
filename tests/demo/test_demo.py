"""`python -m bosun.demo` end to end, as a user runs it (a subprocess, every part real): with --once it
exits 0 after every example app is Synced and Healthy and the webhook change is deployed; without it,
Ctrl-C (SIGINT) stops it; either way no process it started and none of its files remain."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOSUN_", "KUBECONFIG"))}
    env["PATH"] = f"{REPO / '.tools' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def demo_dir(output: str) -> Path:
    match = re.search(r"logs in (\S+)/logs", output)
    assert match, output[:2000]
    return Path(match.group(1))


def processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def assert_nothing_left(output: str) -> None:
    root = demo_dir(output)
    assert not root.exists(), f"{root} left behind"
    assert processes_mentioning(str(root)) == []


def test_demo_once_converges_deploys_the_webhook_change_and_cleans_up() -> None:
    done = subprocess.run([sys.executable, "-m", "bosun.demo", "--once"], cwd=REPO, env=demo_env(),
                          capture_output=True, text=True, timeout=360)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert re.search(
        r"All 10 apps Synced and Healthy after [\d.]+s \([\d.]+s after registration\)\.", output
    ), output[-6000:]
    assert re.search(
        r"Webhook change deployed: guestbook at [0-9a-f]{7}, cluster says 'Hello from Bosun, version 2', "
        r"[\d.]+s from push to Synced and Healthy\.", output
    ), output[-6000:]  # fmt: skip
    lines = output.strip().splitlines()
    assert re.match(
        r"demo: --once: 10 apps Synced and Healthy, webhook change deployed in [\d.]+s", lines[-3]
    )
    assert lines[-1] == "demo: stopped."
    listed = output[output.index("NAME             PROJECT") :]
    for app in ("guestbook", "kustomize-shop", "helm-podinfo", "jsonnet-metrics", "waves-hooks",
                "app-of-apps", "notes", "quotes", "echo-east", "echo-west"):  # fmt: skip
        assert re.search(rf"^{app}\s+default\s+Synced\s+Healthy", listed, re.MULTILINE), app
    assert_nothing_left(output)


def test_ctrl_c_stops_every_process_and_removes_the_files(tmp_path: Path) -> None:
    log = tmp_path / "demo.out"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bosun.demo"], cwd=REPO, env=demo_env(), stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 300
            while "Running until Ctrl-C" not in log.read_text():
                assert proc.poll() is None, log.read_text()[-6000:]
                assert time.monotonic() < deadline, log.read_text()[-6000:]
                time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = log.read_text()
    assert code == 0, output[-4000:]
    assert "demo: interrupted" in output and output.strip().endswith("demo: stopped.")
    assert_nothing_left(output)
