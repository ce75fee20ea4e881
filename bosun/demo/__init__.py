"""`python -m bosun.demo [--once]` (`make demo`): Bosun running on one machine, every part real.

It starts Redis, kubesim as the management cluster (and a second kubesim as another cluster), a git
repository seeded from examples/ served by `git daemon`, then `bosun server`, two `bosun worker`s,
`bosun beat` and `bosun flower` as subprocesses; registers the example apps; shows them converge;
commits a change, posts a signed GitHub webhook and shows the change deployed. Ctrl-C stops every
process it started and removes its temporary directory.

Modules: `processes` (child processes), `stack` (starting the parts), `repo` (the git repository),
`watch` (the live table), `webhook` (the signed push), `run` (the scenario).
"""
