# The two commands of the README's Quick start, and the translation chores.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# Test processes: the suite is spread over this many (pytest-xdist); CI has 2 cores.
TEST_WORKERS ?= 2

# The W3C's Nu HTML Checker, which the lite-site and back-office tests run (on Java).
VNU_VERSION = 26.9.27

.PHONY: run test lint services translations

$(BIN)/guichet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(BIN)/guichet
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/vnu-$(VNU_VERSION).jar: | $(BIN)/guichet services
	cd $(VENV) && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null \
		&& tar -xzf vnu-jar-$(VNU_VERSION).tgz package/build/dist/vnu.jar \
		&& mv package/build/dist/vnu.jar vnu-$(VNU_VERSION).jar \
		&& rm -r package vnu-jar-$(VNU_VERSION).tgz

# Install, migrate, load the demo city (once) and serve it on http://127.0.0.1:5000/.
run: $(BIN)/guichet
	DEBUG=1 $(BIN)/guichet demo
	$(BIN)/guichet run

# Install the dev extra and what the suite needs on this machine (scripts/test-services), check
# lint and types, then run the whole suite (SQLite and PostgreSQL, Redis, Chromium).
test: services $(VENV)/.dev-installed $(VENV)/vnu-$(VNU_VERSION).jar lint
	VNU_JAR=$(CURDIR)/$(VENV)/vnu-$(VNU_VERSION).jar $(BIN)/pytest -n $(TEST_WORKERS)

services:
	scripts/test-services

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-extract interface strings and merge them into every catalog.
translations: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F gateway/translations/babel.cfg -k _l -k lazy_gettext --no-location \
		--sort-output --width 100 --project Guichet --copyright-holder "Guichet contributors" \
		-o gateway/translations/messages.pot .
	$(BIN)/pybabel update --width 100 --no-fuzzy-matching --ignore-obsolete -i gateway/translations/messages.pot -d gateway/translations
