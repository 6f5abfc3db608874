# The two commands of the README: `make dev` and `make test`. Both run the idempotent setup first.
SHELL := /bin/bash
PORT ?= 8787
# real: the sources on the internet; fake: the local fake of every source (offline).
UPSTREAMS ?= real
# The fake's pictures are kept apart from the real ones (.state/fake inside .state).
STATE ?= $(if $(filter fake,$(UPSTREAMS)),.state/fake,.state)
PYTEST_ARGS ?=

.PHONY: setup dev test lint unit demo key bench mutate clean deploy

setup:
	@scripts/setup.sh

dev: setup
	@.venv/bin/python scripts/dev.py --port $(PORT) --state $(STATE) --upstreams $(UPSTREAMS)

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

# Mutation testing of the rule modules against tests/unit and tests/app (not part of `make test`;
# docs/testing.md). The modules are [tool.mutmut] only_mutate in pyproject.toml, or MODULES="...".
MODULES ?=
mutate: setup
	@.venv/bin/python scripts/mutate.py $(MODULES)

clean:
	rm -rf .build .venv node_modules python_modules .wrangler mutants

SCOPE ?= read
key: setup
	@.venv/bin/python scripts/keys.py --scope $(SCOPE) --state $(STATE) $(if $(REMOTE),--remote,)

# Deploy to the Cloudflare account wrangler is logged in to (docs/operations.md); DRY_RUN=1 only
# builds the upload, offline, and prints its size.
deploy: setup
	@.venv/bin/python scripts/deploy.py $(if $(DRY_RUN),--dry-run,)
