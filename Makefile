# The two commands of the README's Quick start, and the translation chores.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test translations

$(BIN)/guichet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(BIN)/guichet
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Install, migrate, load the demo city (once) and serve it on http://127.0.0.1:5000/.
run: $(BIN)/guichet
	DEBUG=1 $(BIN)/guichet demo
	$(BIN)/guichet run

# Install the dev extra and run the whole suite (SQLite and PostgreSQL, Redis, Chromium).
test: $(VENV)/.dev-installed
	$(BIN)/pytest

# Re-extract interface strings and merge them into every catalog.
translations: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F translations/babel.cfg -k _l -k lazy_gettext --no-location \
		--sort-output --width 100 --project Guichet --copyright-holder "Guichet contributors" \
		-o translations/messages.pot .
	$(BIN)/pybabel update --width 100 --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations
