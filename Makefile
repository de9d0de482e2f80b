# Quick start: `make run` serves the platform, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Every Python package, pinned with hashes: a fresh machine installs exactly what CI tested.
LOCK := requirements.lock
UV := uv==0.13.8
COMPILE := $(BIN)/uv pip compile --quiet pyproject.toml --extra test --generate-hashes \
	--python-version 3.11 --python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock'

.PHONY: run test lint install lock upgrade clean-db bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "daiban needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# After changing the dependencies in pyproject.toml: keeps every other pin as it is.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(COMPILE) -o $(LOCK)

# Every package to its newest release. An upgrade is a commit of its own: run `make test`,
# then commit requirements.lock alone.
upgrade: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(COMPILE) --upgrade -o $(LOCK)

run: install
	$(BIN)/daiban db upgrade
	$(BIN)/daiban org sync config
	$(BIN)/daiban catalog publish config --by demo
	$(BIN)/daiban demo
	$(BIN)/daiban serve

lint: install
	$(BIN)/ruff check platform tests benchmarks

# One test process per core (pytest-xdist): each has its own databases, Chromium and demo fill.
test: install lint
	$(BIN)/python -m pytest -n auto

# Figures, not pass/fail: each screen beside the floor (benchmarks/floor.py). The first run makes
# the shared fill of BENCH_CASES cases under var/bench/ (long: run it niced); later runs reuse it.
# DATABASE_URL=postgresql://… benchmarks PostgreSQL instead.
BENCH_CASES ?= 1000000
bench: install
	PYTHONPATH=platform $(BIN)/python benchmarks/fill.py $(BENCH_CASES)
	PYTHONPATH=platform $(BIN)/python benchmarks/search.py $(BENCH_CASES)
	PYTHONPATH=platform $(BIN)/python benchmarks/admin_lists.py $(BENCH_CASES)
	PYTHONPATH=platform $(BIN)/python benchmarks/supervision.py $(BENCH_CASES)

clean-db:
	rm -f var/daiban.sqlite3 var/daiban.sqlite3-wal var/daiban.sqlite3-shm
