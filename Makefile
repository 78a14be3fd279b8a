# Concord: `make run` for the demo, `make test` for the suite. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint format bench services clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet -e ./clients/python
	@touch $(STAMP)

install: $(STAMP)

## The demo: SQLite and a broker kept in files, no services needed. Web on http://127.0.0.1:8000
run: install
	@bash scripts/demo.sh

## The whole suite against PostgreSQL and Redis (started here when installed but not running).
test: install services
	$(PY) -m pytest $(PYTEST_ARGS)

services:
	@bash scripts/ensure-services.sh

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Every benchmark, one table (benchmarks/README.md); wrk (the load generator) installed when missing.
bench: install services
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; } || \
		echo "wrk could not be installed: the serving benchmark uses its Python load generator"
	$(PY) benchmarks/run_all.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
