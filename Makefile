# duoctl developer and CI entry points.
#
#   make demo    set up .venv and run `duoctl demo`
#   make test    everything: .venv with test extras, Debian packages (when root), a private
#                Secret Service, lint, pytest; on a fresh Debian machine with only python3 and
#                make this alone does all the set-up
#   make lint    ruff check, ruff format --check, mypy --strict
#   make bench   bench/run_all.py, if present
#   make mutate  mutation testing of the security-critical modules (slow; not in make test)
#   make clean   caches and build output (`make distclean` also removes .venv)
#
# Variables: PYTHON (interpreter that creates the venv), VENV, PYTEST_ARGS (e.g. "-k keyring").

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

# Stamps live inside the venv: deleting .venv forgets them too. They depend on pyproject.toml,
# so a changed dependency list reinstalls, and an unchanged one costs nothing.
STAMP_BASE := $(VENV)/.duoctl-base.stamp
STAMP_TEST := $(VENV)/.duoctl-test.stamp

SECRET_SERVICE := tests/support/secret_service.sh
SYSTEM_DEPS := tests/support/system_deps.sh

.PHONY: help demo test check pytest lint bench mutate system-deps install install-test clean distclean

help:
	@sed -n '3,11s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# --- environment ---------------------------------------------------------------------------

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	@# Debian's own python3 has no ensurepip without python3-venv: install it (as root) and retry.
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		rm -rf $(VENV); \
		bash $(SYSTEM_DEPS) --strict python3-venv; \
		$(PYTHON) -m venv $(VENV); \
	}

$(STAMP_BASE): pyproject.toml constraints.txt | $(BIN)/python
	@echo "==> pip install -e . (constraints.txt)"
	@$(BIN)/python -m pip install -q -c constraints.txt -e .
	@touch $@

$(STAMP_TEST): pyproject.toml constraints.txt | $(BIN)/python
	@echo "==> pip install -e .[test] (constraints.txt)"
	@$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	@# The test extras include the base install.
	@touch $@ $(STAMP_BASE)

install: $(STAMP_BASE)
install-test: $(STAMP_TEST)

# gnome-keyring, dbus, libsecret-tools, chromium, systemd (systemd-creds), node and Duo's Node
# SDK: installed when missing and running as root; otherwise a warning, and the
# real-component tests skip (or fail under DUOCTL_REQUIRE_REAL=1).
system-deps:
	@bash $(SYSTEM_DEPS)
	@bash tests/support/node_deps.sh

# --- main job ------------------------------------------------------------------------------

demo: $(STAMP_BASE)
	$(BIN)/duoctl demo

# --- tests ---------------------------------------------------------------------------------

# A Secret Service already provided by the caller (.ci/run starts one) is used as is;
# otherwise a private one lives exactly as long as the checks. --best-effort: a machine that
# cannot run one still gets its lint and its other tests.
test: $(STAMP_TEST) system-deps
	@bash tests/support/plain_user.sh
	@if [ "$${DUOCTL_TEST_SECRET_SERVICE:-}" = 1 ] && [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ]; then \
		$(MAKE) check; \
	else \
		bash $(SECRET_SERVICE) run --best-effort -- $(MAKE) check; \
	fi

# Lint and tests both run even when the first fails, so one run reports everything; either
# failing fails the target.
check: $(STAMP_TEST)
	@rc=0; $(MAKE) lint || rc=1; $(MAKE) pytest || rc=1; exit $$rc

# The venv's bin first on PATH, so tests that spawn `duoctl` get this checkout's. pytest's exit
# status passes through untouched (5, "no tests collected", is a failure).
pytest: $(STAMP_TEST)
	@echo "==> pytest"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	@echo "==> ruff check"
	@$(BIN)/ruff check .
	@echo "==> ruff format --check"
	@$(BIN)/ruff format --check .
	@echo "==> mypy --strict src"
	@$(BIN)/mypy --strict src
	@# The real-component gates are typed code too; their own run (a second root under tests/).
	@$(BIN)/mypy --strict tests/support

bench: $(STAMP_TEST)
	@if [ -f bench/run_all.py ]; then \
		$(BIN)/python bench/run_all.py; \
	else \
		echo "bench/run_all.py not found: nothing to run"; \
	fi

# Mutation testing (issue 16): mutmut over the modules in pyproject.toml's [tool.mutmut], then
# the kill rate and every mutant not caught. It takes long (README: Tests), so it is in neither
# `make test` nor .ci/run. MUTANTS='duoctl.fileio.* duoctl.validation.*' runs a subset.
MUTANTS ?=
mutate: $(STAMP_TEST)
	@rm -rf mutants
	$(BIN)/mutmut run $(MUTANTS)
	@$(BIN)/python tests/support/mutation_report.py

# --- housekeeping --------------------------------------------------------------------------

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -prune -exec rm -rf {} + \
		-o -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
