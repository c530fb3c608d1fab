# The README's two commands: `make run` and `make test`. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lint unit integration e2e clean system-deps

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

test: $(VENV)/.test system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider tests

unit: $(VENV)/.test
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

integration: $(VENV)/.test system-deps
	$(PY) -m pytest -q -p no:cacheprovider tests/integration

e2e: $(VENV)/.test system-deps
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e

bench: $(VENV)/.test
	bash scripts/system-deps.sh --bench
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
