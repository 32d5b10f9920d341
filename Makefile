# ODQ — `make run` serves the app, `make test` runs every check. Both install from nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint docs docs-check bench calibrate clean browser fuzz bench-load bench-portal bench-catalog bench-web

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

# The browser tests drive Debian's Chromium (launched by path; Playwright downloads nothing);
# a CJK font makes the Chinese pages readable in their screenshots.
browser:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	fc-list | grep -qi wqy || apt-get install -y fonts-wqy-zenhei || true

test: install browser lint docs-check
	$(PY) -m pytest -q -n 2 --durations=10

bench: install
	$(PY) bench/run_bench.py

# Scores every hand-labelled file of ../shared/calibration and writes bench/CALIBRATION.md.
calibrate: install
	$(PY) scripts/calibrate.py

# The fuzz tests with many more examples (make test runs them with a bounded number).
fuzz: install
	ODQ_FUZZ_PROFILE=long $(PY) -m pytest -q -p no:randomly tests/fuzz

# 32 concurrent clients against a real `odq serve` for 45 s; writes its section of bench/RESULTS.md.
bench-load: install
	$(PY) bench/load_bench.py --clients 32 --duration 45

# The portal pass on 10k and 100k synthetic dataset signatures with planted duplicate and series groups.
bench-portal: install
	$(PY) bench/portal_bench.py

# A loopback portal of real files scored with --executor inline and process, and --metadata-only.
bench-catalog: install
	$(PY) bench/catalog_bench.py

# The report page of the 1M-row benchmark file: time to first render and page weight.
bench-web: install
	$(PY) bench/web_bench.py

clean:
	rm -rf $(VENV) var bench/out .pytest_cache .ruff_cache .mypy_cache
