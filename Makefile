# Golden Hour: the two commands are `make demo` and `make test`; every other target is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
GH := $(VENV)/bin/goldenhour
HOST ?= 127.0.0.1
PORT ?= 8000
# App processes on the one port (goldenhour serve --workers: SO_REUSEPORT, one hub each on Redis)
WORKERS ?= 2
# MAP: an OSM extract (.osm or .osm.pbf) instead of the bundled Helsinki. Each extract gets its
# own map cache (var/maps/<name>), database (goldenhour_<name>) and event channel, so switching
# cities never mixes one city's stations, fleet and incidents into another's.
MAP ?=
ifeq ($(strip $(MAP)),)
MAP_DIR := var/map
MAP_ENV :=
else
MAP_NAME := $(shell printf '%s' '$(basename $(basename $(notdir $(MAP))))' | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' '_')
MAP_DIR := var/maps/$(MAP_NAME)
MAP_DB_URL := $(PY) -c 'import os, sys; from sqlalchemy.engine import make_url; print(make_url(os.environ["DATABASE_URL"]).set(database=sys.argv[1]).render_as_string(hide_password=False))'
MAP_ENV := export GOLDENHOUR_MAP_DIR=$(MAP_DIR) GOLDENHOUR_REDIS_CHANNEL=goldenhour:$(MAP_NAME):events && export DATABASE_URL="$$($(MAP_DB_URL) goldenhour_$(MAP_NAME))" &&
endif
ENV := set -a && . var/env && set +a && $(MAP_ENV)
# LANG=zh: the centre speaks Chinese (GOLDENHOUR_LANGUAGE): the addresses the server writes
# itself, its problem messages by default, the demo callers. LANG is also the locale every
# shell exports, so only a LANG given on the command line counts, and it is not passed on to
# the commands below as a locale.
ifeq ($(origin LANG),command line)
GOLDENHOUR_LANGUAGE := $(LANG)
unexport LANG
endif
GOLDENHOUR_LANGUAGE ?= en
ifeq ($(filter en zh,$(GOLDENHOUR_LANGUAGE)),)
$(error LANG (the centre's language) must be en or zh, not "$(GOLDENHOUR_LANGUAGE)")
endif
CALLS_PER_MINUTE ?= 1.5
SPEEDUP ?= 3
# The printed demo logins (password = user name) work without a forced password change, and the
# server stays on a loopback address (it refuses another --host while they are on). DEMO_LOGINS=false
# for a real deployment: seeded logins must then change their password at first login.
DEMO_LOGINS ?= true
# OUTBREAK=<seconds>: the public-health watch's demo. The simulator imports 90 days of call-count
# history (at the demo's own call rate) and, this many seconds after the start, fever calls come
# from one neighbourhood; the server judges every minute, and a signal appears on the console.
OUTBREAK ?=
DEMO := GOLDENHOUR_DEMO_LOGINS=$(DEMO_LOGINS) GOLDENHOUR_LANGUAGE=$(GOLDENHOUR_LANGUAGE)
ifneq ($(strip $(OUTBREAK)),)
DEMO += GOLDENHOUR_SURVEILLANCE_INTERVAL_S=60
SIM_OUTBREAK := --outbreak-after $(OUTBREAK)
endif
FRONTEND_SRC := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print 2>/dev/null)

.PHONY: help demo test chaos flaky-check system setup python frontend services db map seed serve simulate lint bench clean

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

# System packages, checked on every run and installed only when missing: a CJK font (without
# one the console's Chinese is drawn as empty boxes), PostGIS, Node.js, and Chromium for tests.
system:
	@bash scripts/system-deps.sh $(if $(filter test flaky-check,$(MAKECMDGOALS)),test,demo)

frontend/dist/index.html: $(FRONTEND_SRC)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

frontend: frontend/dist/index.html

setup: system python frontend

services: python
	$(PY) scripts/services.py

db: services
	$(ENV) $(GH) migrate

$(MAP_DIR)/meta.json:
	$(ENV) $(GH) import-map $(MAP) --out $(MAP_DIR)

map: python $(MAP_DIR)/meta.json

seed: db map
	$(ENV) $(DEMO) $(GH) seed

serve: setup seed
	$(ENV) $(DEMO) $(GH) serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

demo: setup seed
	@echo
	@echo "Golden Hour console: http://$(HOST):$(PORT)"
	@echo "  demo logins (password = user name): dispatcher, supervisor, crew-a01 (unit A01) ... crew-a12,"
	@echo "  hospital-1, hospital-2, admin (user administration), auditor (audit trail and review),"
	@echo "  telephony (PBX connector: the simulated phone rings a line before each call)"
	@echo "  (the simulator places $(CALLS_PER_MINUTE) calls a minute and drives the crews $(SPEEDUP)x faster than life; Ctrl-C stops everything)"
	@$(if $(strip $(OUTBREAK)),echo "  OUTBREAK: fever calls from one neighbourhood after $(OUTBREAK) s; log in as supervisor to see the signal",true)
	@echo
	@$(ENV) export $(DEMO) && trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	  $(GH) serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --log-level warning & \
	  $(PY) scripts/wait_http.py http://$(HOST):$(PORT)/healthz 60; \
	  (command -v xdg-open >/dev/null && [ -n "$${DISPLAY:-}" ] && xdg-open http://$(HOST):$(PORT) >/dev/null 2>&1 || true); \
	  $(GH) simulate --base-url http://$(HOST):$(PORT) --calls-per-minute $(CALLS_PER_MINUTE) --speedup $(SPEEDUP) $(SIM_OUTBREAK)

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

# The offline install bundle for a closed network: one tarball under var/bundle/ with every
# Python wheel for this platform, the built front end, the default map and install.sh
# (docs/offline-install.md). Reused as it is while no input changed.
.PHONY: bundle
bundle: system python
	$(PY) scripts/bundle.py

clean:
	rm -rf var frontend/dist test-artifacts
