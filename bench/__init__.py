"""Bosun's benchmarks: `python -m bench SCENARIO [--json]`; ratios and throughput, JSON output."""
