# Two commands matter: `make run` and `make test`. Both create .venv when missing and
# (re)install the project only when pyproject.toml changed, so repeated runs are quick.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export QT_QPA_PLATFORM ?= offscreen

.PHONY: run test lint typecheck bench venv clean screenshots dist

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: QT_QPA_PLATFORM =
run: $(STAMP)
	$(BIN)/python main.py $(ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on every core (pytest-xdist); the packaged-app tests share dist/ and
# take turns through a lock. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The packaged app (one folder under dist/); the release workflow runs the same script.
dist: $(STAMP)
	$(BIN)/python packaging/build.py $(DIST_ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m ui.screenshots screenshots
	$(BIN)/python -m ui.screenshots screenshots --text=150

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
