# The README's two commands: `make run` and `make test`. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-shifted bench bench-smoke lint unit integration e2e clean system-deps

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

run: $(VENV)/.runtime
	exec $(PY) app.py

system-deps:
	bash scripts/system-deps.sh

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .

# The suite, then the suite again with the clock a month and a year ahead (libfaketime): a fixed date that a test
# compares with the real clock fails there before it goes off. `make test SHIFTS=` skips the shifted runs.
SHIFTS ?= +30d +365d

test: $(VENV)/.test system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider tests
	$(MAKE) --no-print-directory test-shifted

test-shifted: $(VENV)/.test system-deps
	SHIFTS="$(SHIFTS)" bash scripts/test-shifted.sh tests

unit: $(VENV)/.test
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

integration: $(VENV)/.test system-deps
	$(PY) -m pytest -q -p no:cacheprovider tests/integration

e2e: $(VENV)/.test system-deps
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e

bench: $(VENV)/.test system-deps
	$(PY) -m bench

# Every bench on tiny sizes and durations: checks they run and print their figures (tests/e2e/test_bench_smoke.py).
bench-smoke: $(VENV)/.test system-deps
	$(PY) -m bench --smoke

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
