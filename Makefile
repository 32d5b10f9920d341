# ODQ — `make run` serves the app, `make test` runs every check. Both install from nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint docs docs-check bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/odq migrate
	$(VENV)/bin/odq serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

docs: install
	$(PY) scripts/gen_docs.py

docs-check: install
	$(PY) scripts/gen_docs.py --check

test: install lint docs-check
	$(PY) -m pytest -q -n 2 --durations=10

bench: install
	$(PY) bench/run_bench.py

clean:
	rm -rf $(VENV) var bench/out .pytest_cache .ruff_cache .mypy_cache
