# Two commands on a fresh machine (Python 3.11+ and a C compiler): `make run`, `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest schema clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11+ is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/tradecover dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy domain resolvers schema workers tradecover

pytest: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

test: lint typecheck pytest

schema: install
	$(BIN)/tradecover export-schema

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
