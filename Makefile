# The two commands of the README: `make demo` runs Bosun, `make test` runs every check.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/.venv/bin:$(PATH)
PY := .venv/bin/python

.PHONY: demo test install lint bench-kubesim clean

install:
	@bash scripts/bootstrap.sh

demo: install
	@$(PY) -m bosun.demo $(ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	.venv/bin/lint-imports

test: lint
	$(PY) -m pytest -q -n 2 --dist loadgroup $(PYTEST_ARGS)

bench-kubesim: install
	$(PY) -m bench kubesim --json

clean:
	rm -rf .venv .tools build *.egg-info

# Runs tests/faults and tests/security, then writes docs/reliability.md from their results.
reliability-table: install
	rm -rf build/reliability
	-$(PY) -m pytest -q -n 2 --dist loadgroup tests/faults tests/security $(PYTEST_ARGS)
	$(PY) tests/reliability_table.py
