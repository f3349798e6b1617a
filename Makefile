# The two commands: `make run` (demo on SQLite at http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := pb

.PHONY: run test lint format translations messages clean vendor-leaflet

# uv installs the same packages from PyPI as pip, in a fifth of the time (16 s against 75 s here).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@ $(VENV)/.run-deps

# Compiled catalogs (.mo) are build output, made from the committed .po files.
translations: | $(BIN)/python
	$(BIN)/pybabel compile -d translations

run: $(VENV)/.run-deps translations
	$(BIN)/flask db upgrade
	$(BIN)/flask pb demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Every run ends with its ten slowest tests (--durations=10 in pyproject.toml). The tests are
# spread over one pytest-xdist worker per core, a whole file to a worker (--dist loadfile), so
# that a module's live server and the session's demo template are built once per worker; each
# worker gets its own PostgreSQL database, <name>_gw0, <name>_gw1, ..., made on first use.
# `make test PYTEST_WORKERS=` runs in one process; PYTEST_ARGS adds options (`-k vote`, `-x`).
# Tests marked `alone` hold wall time to a budget (a million residents imported in a minute): they
# run afterwards in one process, so that another worker's load is not counted against them (exit
# code 5: the selection held none of them).
PYTEST_WORKERS ?= -n auto --dist loadfile
test: $(VENV)/.dev-deps translations
	$(BIN)/python -m pytest $(PYTEST_WORKERS) -m "not alone" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract new strings into the catalogs after changing templates or code.
messages: $(VENV)/.dev-deps
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations

# Leaflet (pinned in the script) from the npm registry into static/vendor/leaflet/.
vendor-leaflet:
	./scripts/vendor-leaflet.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
