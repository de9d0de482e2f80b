# Quick start: `make run` serves the platform, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install clean-db bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "daiban needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/daiban db upgrade
	$(BIN)/daiban org sync config
	$(BIN)/daiban catalog publish config --by demo
	$(BIN)/daiban demo
	$(BIN)/daiban serve

lint: install
	$(BIN)/ruff check platform tests

test: install lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/admin_lists.py 200000
	$(BIN)/python benchmarks/supervision.py 200000

clean-db:
	rm -f var/daiban.sqlite3 var/daiban.sqlite3-wal var/daiban.sqlite3-shm
