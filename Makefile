# Golden Hour: the two commands are `make demo` and `make test`; every other target is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
GH := $(VENV)/bin/goldenhour
ENV := set -a && . var/env && set +a &&
HOST ?= 127.0.0.1
PORT ?= 8000
MAP ?=
CALLS_PER_MINUTE ?= 1.5
SPEEDUP ?= 3
# The printed demo logins (password = user name) work without a forced password change, and the
# server stays on a loopback address (it refuses another --host while they are on). DEMO_LOGINS=false
# for a real deployment: seeded logins must then change their password at first login.
DEMO_LOGINS ?= true
DEMO := GOLDENHOUR_DEMO_LOGINS=$(DEMO_LOGINS)
FRONTEND_SRC := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print 2>/dev/null)

.PHONY: help demo test chaos flaky-check setup python frontend services db map seed serve simulate lint bench clean

help:
	@echo "make demo   - set up everything and run the live system at http://$(HOST):$(PORT)"
	@echo "make test   - set up everything and run the test suite"

$(VENV)/.installed: pyproject.toml
	bash scripts/system-deps.sh test
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

python: $(VENV)/.installed

frontend/dist/index.html: $(FRONTEND_SRC)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

frontend: frontend/dist/index.html

setup: python frontend

services: python
	$(PY) scripts/services.py

db: services
	$(ENV) $(GH) migrate

var/map/meta.json:
	$(ENV) $(GH) import-map $(MAP) --out var/map

map: python var/map/meta.json

seed: db map
	$(ENV) $(DEMO) $(GH) seed

serve: setup seed
	$(ENV) $(DEMO) $(GH) serve --host $(HOST) --port $(PORT)

demo: setup seed
	@echo
	@echo "Golden Hour console: http://$(HOST):$(PORT)"
	@echo "  demo logins (password = user name): dispatcher, supervisor, crew-a01 (unit A01) ... crew-a12,"
	@echo "  hospital-1, hospital-2, admin (user administration), auditor (audit trail and review),"
	@echo "  telephony (PBX connector: the simulated phone rings a line before each call)"
	@echo "  (the simulator places $(CALLS_PER_MINUTE) calls a minute and drives the crews $(SPEEDUP)x faster than life; Ctrl-C stops everything)"
	@echo
	@$(ENV) export $(DEMO) && trap 'kill 0' EXIT INT TERM; \
	  $(GH) serve --host $(HOST) --port $(PORT) --log-level warning & \
	  $(PY) scripts/wait_http.py http://$(HOST):$(PORT)/healthz 60; \
	  (command -v xdg-open >/dev/null && [ -n "$${DISPLAY:-}" ] && xdg-open http://$(HOST):$(PORT) >/dev/null 2>&1 || true); \
	  $(GH) simulate --base-url http://$(HOST):$(PORT) --calls-per-minute $(CALLS_PER_MINUTE) --speedup $(SPEEDUP)

test: setup services
	$(VENV)/bin/lint-imports
	$(PY) scripts/openapi.py var/openapi.json && cd frontend && npm run --silent api-types:check
	$(ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The fault tests also run in `make test` (60 race rounds); this runs the full 1,000.
chaos: python services
	$(ENV) CHAOS_RACE_ROUNDS=$(or $(CHAOS_RACE_ROUNDS),1000) $(PY) -m pytest -m chaos tests/chaos $(PYTEST_ARGS)

# The fault and browser tests RUNS times in a row (default 10) with one core kept busy by a hog.
flaky-check: setup services
	$(ENV) $(PY) scripts/flaky_check.py --runs $(or $(RUNS),10)

lint: python
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check dispatch routing tests
	$(VENV)/bin/mypy dispatch routing

bench: python
	$(PY) bench/eta.py --map $(or $(MAP),../shared/data/osm/porto_portugal.osm.pbf)

clean:
	rm -rf var frontend/dist test-artifacts
