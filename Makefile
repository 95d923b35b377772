# coopsim: `make demo` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# A Python >= 3.12: python3 (under .python-version), else python3.13 / python3.12 on PATH.
PYTHON ?= $(shell for p in python3 python3.13 python3.12; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: demo test test-random test-lowest lint format bench reliability run-scripts clean venv browser-deps golden

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "coopsim needs Python >= 3.12: none of python3, python3.13, python3.12 on PATH is new enough." >&2; \
		echo "Install Python 3.12 (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m coopsim.demo

browser-deps:
	@bash .ci/browser-deps.sh

test: $(TEST_STAMP) browser-deps
	$(BIN)/python -m pytest  # warnings are errors: see filterwarnings in pyproject.toml

# The suite in a random order (pytest-randomly; SEED=N repeats an order).
test-random: $(TEST_STAMP) browser-deps
	$(BIN)/python -m pytest -p randomly $(if $(SEED),--randomly-seed=$(SEED),)

# The suite against the lowest versions pyproject.toml allows, in a venv of its own (uv resolves).
test-lowest: $(BIN)/python browser-deps
	rm -rf .venv-lowest && $(BIN)/python -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet uv
	.venv-lowest/bin/python -m uv pip install --quiet --python .venv-lowest/bin/python \
		--resolution lowest-direct -e ".[test]"
	.venv-lowest/bin/python -m pytest

# Regenerate the golden master (tests/golden/data) after a deliberate change of results: say why in
# the commit and the CHANGELOG, and bump the version.
golden: $(TEST_STAMP)
	$(BIN)/python tests/golden/test_golden_master.py --regenerate

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make bench QUICK=1` passes --quick (smaller sizes, fewer repetitions) to the scripts taking it.
# bench: speed and memory (docs/PERFORMANCE.md); reliability: soak run and kills (docs/RELIABILITY.md).
RELIABILITY_SCRIPTS := benchmarks/soak.py benchmarks/kill_resume.py
BENCH_SCRIPTS := $(filter-out $(RELIABILITY_SCRIPTS),$(sort $(wildcard benchmarks/*.py)))

bench: $(TEST_STAMP)
	@$(MAKE) --no-print-directory run-scripts SCRIPTS="$(BENCH_SCRIPTS)"

reliability: $(TEST_STAMP)
	@$(MAKE) --no-print-directory run-scripts SCRIPTS="$(RELIABILITY_SCRIPTS)"

run-scripts:
	@for f in $(SCRIPTS); do echo "== $$f"; args=; \
		if [ -n "$(QUICK)" ] && grep -q -- '"--quick"' $$f; then args=--quick; fi; \
		$(BIN)/python $$f $$args || exit 1; done

clean:
	rm -rf $(VENV) .venv-lowest build dist src/*.egg-info .pytest_cache .ruff_cache
