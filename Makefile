# The two commands of the README: `make dev` and `make test`. Both run the idempotent setup first.
SHELL := /bin/bash
PORT ?= 8787
STATE ?= .state
PYTEST_ARGS ?=

.PHONY: setup dev test lint unit demo key bench clean

setup:
	@scripts/setup.sh

dev: setup
	@.venv/bin/python scripts/dev.py --port $(PORT) --state $(STATE)

test: setup lint
	@.venv/bin/python scripts/test_layers.py $(PYTEST_ARGS)

lint:
	@.venv/bin/ruff check src devkit tests scripts bench
	@.venv/bin/ruff format --check src devkit tests scripts bench
	@.venv/bin/mypy

unit: setup
	@.venv/bin/python -m pytest tests/unit $(PYTEST_ARGS)

demo: setup
	@.venv/bin/python scripts/demo.py --port $(PORT)

bench: setup
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	@.venv/bin/python -m bench.hit_path
	@.venv/bin/python -m bench.cold_start
	@.venv/bin/python -m bench.analysis
	@.venv/bin/python -m bench.miss_latency
	@.venv/bin/python -m bench.attachments

clean:
	rm -rf .build .venv node_modules python_modules .wrangler

SCOPE ?= read
key: setup
	@.venv/bin/python scripts/keys.py --scope $(SCOPE) --state $(STATE) $(if $(REMOTE),--remote,)
