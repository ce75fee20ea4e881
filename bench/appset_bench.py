"""ApplicationSet generation cost, in process: a matrix of N clusters x M git directories (a local
tree stands in for the checkout), rendered with `{{param}}` and with goTemplate, then planned against
an identical set of existing Applications (the steady state). `python -m bench appsets --json`."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from gitops.appsets.clusters import ClusterInfo
from gitops.appsets.generators import GeneratorContext, generate
from gitops.appsets.plan import desired_applications, plan_writes
from gitops.appsets.render import TemplateRenderer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--directories", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="best of this many rounds")


class _Tree:
    def __init__(self, root: Path) -> None:
        self.root = root

    def tree(self, repo_url: str, revision: str) -> Path:
        return self.root


def _appset(go: bool) -> dict[str, Any]:
    name = "{{ .name }}-{{ .path.basename | lower }}" if go else "{{name}}-{{path.basename}}"
    return {"metadata": {"name": "bench", "namespace": "bosun", "uid": "u"}, "spec": {"template": {
        "metadata": {"name": name},
        "spec": {"project": "default",
                 "source": {"repoURL": "https://git.example/apps", "path": "{{ .path.path }}" if go else "{{path}}"},
                 "destination": {"server": "{{ .server }}" if go else "{{server}}", "namespace": "apps"}}}}}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bosun-appset-bench-"))
    for index in range(args.directories):
        (root / "apps" / f"app{index}").mkdir(parents=True)
    clusters = [ClusterInfo(f"c{i}", f"https://c{i}.example", {"env": "prod"}) for i in range(args.clusters)]
    spec = {"matrix": {"generators": [{"clusters": {"selector": {"matchLabels": {"env": "prod"}}}},
                                      {"git": {"repoURL": "u", "directories": [{"path": "apps/*"}]}}]}}  # fmt: skip
    figures: dict[str, Any] = {"applications": args.clusters * args.directories}
    for mode, go in (("fasttemplate", False), ("gotemplate", True)):
        renderer = TemplateRenderer(go)
        ctx = GeneratorContext(lambda: clusters, _Tree(root), renderer)
        best = [float("inf")] * 3
        for _ in range(args.rounds):
            started = time.perf_counter()
            params = generate(spec, ctx)
            generated = time.perf_counter()
            apps = desired_applications(_appset(go), params, renderer)
            rendered = time.perf_counter()
            plan_writes(_appset(go), apps, apps, "sync")
            planned = time.perf_counter()
            best = [
                min(b, t)
                for b, t in zip(
                    best, (generated - started, rendered - generated, planned - rendered), strict=True
                )
            ]
        figures |= {f"{mode}_generate_ms": round(best[0] * 1000, 1), f"{mode}_render_ms": round(best[1] * 1000, 1),
                    f"{mode}_plan_unchanged_ms": round(best[2] * 1000, 1)}  # fmt: skip
    return figures
