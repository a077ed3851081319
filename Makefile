# The two set-up commands: `make run` (portal with demo data; DEMO=0 without) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app exchange
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench lint format install install-dev migrate seed worker cron prod-smoke load clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

## Serve the portal on http://$(HOST):$(PORT)/ with demo data (SQLite, in-process jobs unless configured).
## `make run DEMO=0`: without the demo; on an empty database it prints where to set up your programme.
DEMO ?= 1
run: $(if $(filter 0,$(DEMO)),migrate,seed)
	$(FLASK) serve --host $(HOST) --port $(PORT)

## The whole suite (browser tests skip with a reason where Chromium is missing).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Benchmarks: write bench/results/*.json.
bench: install-dev
	$(BIN)/python -m bench

## ruff, then the import contracts of pyproject.toml (what may import what: docs/architecture.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Production-style processes (need REDIS_URL).
worker: install
	$(FLASK) worker

cron: install
	$(FLASK) cron

## The production setup on this machine (gunicorn, 2 workers, cron, a fresh PostgreSQL database on
## DATABASE_URL's server, a Redis of its own) driven through one journey; < 3 minutes.
prod-smoke: install
	$(BIN)/python -m bench.prod_smoke

## Mixed load against the same setup for LOAD_SECONDS (60); writes bench/results/load.json.
load: install
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
