"""`python -m bench SCENARIO [--json] [...]`: runs one benchmark scenario and prints its figures."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

# scenario name -> module in bench/ exposing `add_arguments(parser)` and `run(args) -> dict`
SCENARIOS = {
    "kubesim": "bench.kubesim_bench",
    "source": "bench.source_bench",
    "render": "bench.render_bench",
    "reconcile": "bench.reconcile_bench",
    "initial-sync": "bench.scenarios.initial_sync",
    "steady-refresh": "bench.scenarios.steady_refresh",
    "flux-shape": "bench.scenarios.flux_shape",
    "webhook-latency": "bench.scenarios.webhook_latency",
    "scale-out": "bench.scenarios.scale_out",
    "memory": "bench.scenarios.memory",
    "monorepo": "bench.scenarios.monorepo",
    "appsets": "bench.appset_bench",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    known, rest = parser.parse_known_args()
    module = importlib.import_module(SCENARIOS[known.scenario])
    scenario_parser = argparse.ArgumentParser(prog=f"python -m bench {known.scenario}")
    module.add_arguments(scenario_parser)
    args = scenario_parser.parse_args(rest)
    figures = module.run(args)
    if known.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            print(f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
