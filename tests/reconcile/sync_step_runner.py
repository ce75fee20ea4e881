"""Runs the steps of an app's current operation in its own process (the crash test SIGKILLs it).

Usage: python sync_step_runner.py KUBECONFIG STORE_JSON APP NAMESPACE FIXTURE
Prints one line per step and flushes, so the test can tell how far it got.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops.cluster.kube import KubeClusterPort
from gitops.settings import Settings
from gitops.sync.engine import SyncEngine
from reconcile.sync_support import FileOperationStore, inputs_from, manifests, spec_for


def main(kubeconfig: str, store_path: str, app: str, namespace: str, fixture: str) -> int:
    port = KubeClusterPort.from_kubeconfig(kubeconfig, "kubesim")
    engine = SyncEngine(port, FileOperationStore(Path(store_path)), settings=Settings(), poll_interval=0.1)
    spec = spec_for(app, namespace)
    desired = manifests(fixture)
    while True:
        result = engine.step(spec, inputs_from(port, spec, desired))
        print(f"step {result.phase}: {result.message}", flush=True)
        if result.finished:
            return 0
        time.sleep(min(result.next_step_delay or 0.05, 0.5))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
