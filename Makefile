# Cluster Forum — developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_NOTICE ?= Demo instance: the partnerships and figures come from the 2019 ECCP consultation report

.DEFAULT_GOAL := help
.PHONY: help install icu catalogs translations run test test-fast fuzz lint format bench migration clean

# Each language's gettext catalog, and its compiled form (built here, never committed).
LOCALES := forum/locales
PO_FILES := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# PyICU (ICU collation) builds against the system's ICU: its development files, pkg-config
# and a C++ compiler. On Debian and Ubuntu they are installed here when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

icu:
	@if ! pkg-config --exists icu-i18n 2>/dev/null || ! command -v g++ >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1; then \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null; \
		else \
			echo "PyICU needs ICU's development files, pkg-config and a C++ compiler:"; \
			echo "install libicu-dev (Debian), libicu-devel (Fedora) or icu4c (Homebrew) first"; \
			exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml | icu
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) $(MO_FILES) ## create .venv, install the forum with its dev tools, compile the catalogs

catalogs: $(MO_FILES)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -D messages -l $* -i $< -o $@

translations: $(STAMP) ## extract every sentence into forum/locales/messages.pot, update each language's catalog, compile
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-wrap --add-location=file \
		--sort-by-file --project="Cluster Forum" --copyright-holder="Cluster Forum" \
		-o $(LOCALES)/messages.pot .
	@if [ -n "$(PO_FILES)" ]; then \
		$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-wrap; fi
	@$(MAKE) --no-print-directory catalogs

run: $(STAMP) $(MO_FILES) ## install, migrate, load the demo data (events moved to today), serve on http://127.0.0.1:8000
	$(VENV)/bin/forum demo --shift-dates
	FORUM_DEMO_NOTICE="$${FORUM_DEMO_NOTICE:-$(DEMO_NOTICE)}" \
	FORUM_INBOUND_DOMAIN="$${FORUM_INBOUND_DOMAIN:-inbound.localhost}" \
	$(VENV)/bin/forum serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(MO_FILES) ## the full suite CI runs: SQLite (+ PostgreSQL when FORUM_TEST_POSTGRES_URL is set), browser journeys
	$(PY) -m pytest -p no:cacheprovider -n auto --durations=10

test-fast: $(STAMP) $(MO_FILES) ## the inner loop: unit and integration tests on SQLite, no browser
	FORUM_TEST_POSTGRES_URL= $(PY) -m pytest -p no:cacheprovider -q -n auto -m "not e2e and not slow"

fuzz: $(STAMP) $(MO_FILES) ## fuzz every API operation longer than make test does (FORUM_FUZZ_EXAMPLES, default 1000)
	FORUM_FUZZ_EXAMPLES="$${FORUM_FUZZ_EXAMPLES:-1000}" $(PY) -m pytest -p no:cacheprovider -q -n auto --durations=10 tests/fuzz

lint: $(STAMP) ## ruff, mypy and the import contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP) ## let ruff fix imports and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) $(MO_FILES) ## run the benchmarks and append the results to BENCHMARKS.md
	$(PY) -m benchmarks

migration: $(STAMP) ## new Alembic revision from the models: make migration m="what changed"
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 2; }
	$(PY) -m forum.migrate new "$(m)"

clean: ## remove the venv, caches and the local data dir (./var)
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-results
