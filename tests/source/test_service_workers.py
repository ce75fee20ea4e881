"""Several worker processes refreshing apps of one commit, path and parameters render it once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from gitserver import GitServer, private_redis
from render_support import TOOLS
from service_support import HMAC_KEY, add_fixture, serve

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import redis
    from gitops.cache import RedisCache
    from gitops.settings import Settings
    from gitops.source.git_metrics import GitMetrics
    from gitops.source.git_remote import GitRemote
    from gitops.source.mirrors import Mirrors
    from gitops.source.revisions import RevisionResolver
    from gitops.source.service import SourceService
    from gitops.source.spec import parse_application

    socket, url, cache_dir, tools, key, start_file, index = sys.argv[1:]
    cache = RedisCache(redis.Redis(unix_socket_path=socket))
    settings = Settings(git_cache_dir=cache_dir, helm_path=tools + "/helm", kubectl_path=tools + "/kubectl",
                        manifest_cache_hmac_key=key)
    metrics = GitMetrics()
    service = SourceService(RevisionResolver(cache, GitRemote(), 180, metrics),
                            Mirrors(Path(cache_dir), 10**9, 3600, metrics=metrics), cache, settings, metrics=metrics)
    warm = parse_application({"metadata": {"name": "warm"}, "spec": {"destination": {"namespace": "x"},
        "source": {"repoURL": url, "path": "chart", "helm": {"releaseName": "warm-" + index}}}})
    service.desired_state(warm)  # mirror, snapshot and tool versions ready before the race
    while not Path(start_file).exists():
        time.sleep(0.01)
    app = parse_application({"metadata": {"name": "app-" + index}, "spec": {"destination": {"namespace": "x"},
        "source": {"repoURL": url, "path": "chart", "helm": {"releaseName": "web"}}}})
    state = service.desired_state(app)
    print(json.dumps({"renders": state.renders_performed, "objects": len(state.objects)}))
    """
)


def test_worker_processes_render_one_digest_once(git_server: GitServer, tmp_path: Path) -> None:
    repo, url = serve(git_server)
    add_fixture(repo, "helm-chart-valid")
    start = tmp_path / "start"
    with private_redis(tmp_path / "redis") as client:
        socket = client.connection_pool.connection_kwargs["path"]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    socket,
                    url,
                    str(tmp_path / f"host-{i}"),
                    str(TOOLS),
                    HMAC_KEY,
                    str(start),
                    str(i),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(3)
        ]
        deadline = time.monotonic() + 120
        while len(client.keys("bosun:manifests:*")) < 3 and time.monotonic() < deadline:
            if any(w.poll() is not None for w in workers):
                break  # a worker died: its error is reported below
            time.sleep(0.05)  # each worker renders its own warm-up app: 3 entries
        start.touch()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["renders"] for r in results) == [0, 0, 1]
    assert {r["objects"] for r in results} == {6}
