# Set-up and everyday commands. Only Python 3.11 (or 3.12) and make are needed: the first run
# creates .venv and installs the library with its test tools. durable_rules is built from its
# source distribution, so a C compiler and the Python headers must be present (they are on the
# supported machines; see docs/install.md).

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench dist clean help

help:
	@echo "make demo   - decide the bundled example citizen"
	@echo "make test   - lint, type-check and run the tests"
	@echo "make bench  - run the benchmarks"
	@echo "make dist   - build the wheel from the committed files only (into dist/)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "spstotte needs Python 3.11 or 3.12 (durable_rules does not import on 3.13); run: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/spstotte evaluate examples/citizen.yaml --municipality roskilde --on 2026-11-23

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# The sources are byte-compiled first, and the suite runs without PYTHONDONTWRITEBYTECODE (it
# is set on the machines this project is built on): with it, every test worker and every
# command the tests start compiled the sources again (about 7 s of the suite), and pytest
# rewrote the asserts of every test module and of every module of its plugins' packages
# (Hypothesis: over a hundred) in each process, without keeping the result (about 2.5 s a
# process, 89 -> 74 s for the suite). The bytecode goes to __pycache__ folders, which git
# ignores. Parsed rule files are kept in a folder of the run's own, removed afterwards, not in
# the user's cache folder (docs/security.md, "What is written to disk").
unit: $(STAMP)
	$(BIN)/python -m compileall -q src tests
	cache=$$(mktemp -d) && env -u PYTHONDONTWRITEBYTECODE SPSTOTTE_CACHE_DIR="$$cache" \
		$(BIN)/python -m pytest -n auto; status=$$?; rm -rf "$$cache"; exit $$status

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_evaluate.py

# The wheel of a release: built from `git archive HEAD`, so nothing untracked or uncommitted in
# the checkout (a draft rule set, a scratch module) can ship.
dist: $(STAMP)
	rm -rf dist build/export && mkdir -p dist build/export
	git archive HEAD | tar -x -C build/export
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-build-isolation \
		--no-deps -w dist build/export
	rm -rf build/export
	@ls dist

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
