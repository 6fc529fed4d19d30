# Two commands matter: `make run` and `make test`. Both create .venv when missing and
# (re)install the project only when pyproject.toml changed, so repeated runs are quick.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export QT_QPA_PLATFORM ?= offscreen

.PHONY: run test test-core-without-qt lint typecheck bench venv clean screenshots dist

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

# The suite runs on every core (pytest-xdist). The packaged-app checks are one test, so
# that one worker builds dist/ while the other goes on (loadgroup's xdist_group no longer
# keeps a group on one worker under pytest 9.2). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The core suite with Qt not installed (napari's proof that the core never needs Qt): a
# second venv with the project's dependencies minus PySide6 and pytest-qt
# (.ci/core_requirements.py reads them from pyproject.toml); the project itself comes
# from the source tree. The override drops pytest-qt from the required plugins.
# Every core test module is collected (imported) there; the tests run are the engine's,
# the store's and the services' (CORE_TESTS), not those whose time goes to outside tools
# (PostgreSQL, PSPP, R, Chromium, speech) or to fuzzing, which `make test` has just run:
# running all of tests/core again would nearly double the suite's CI time. CORE_TESTS=tests/core
# runs them all.
CORE_VENV  := .venv-core
CORE_STAMP := $(CORE_VENV)/.installed
CORE_TESTS ?= tests/core/forms tests/core/session tests/core/expressions \
	tests/core/scenarios tests/core/storage tests/core/crypto tests/core/sync \
	tests/core/services tests/core/coding tests/core/test_builtin_study.py \
	tests/core/test_deployment.py
CORE_PYTEST = PYTHONPATH=$(CURDIR) $(CORE_VENV)/bin/python -m pytest \
	-o required_plugins="pytest-xdist>=3.5 pytest-timeout>=2.3"

$(CORE_STAMP): pyproject.toml .ci/core_requirements.py
	test -x $(CORE_VENV)/bin/python || $(PYTHON) -m venv $(CORE_VENV)
	$(PYTHON) .ci/core_requirements.py > $(CORE_VENV)/requirements.txt
	$(CORE_VENV)/bin/python -m pip install --quiet -r $(CORE_VENV)/requirements.txt
	touch $(CORE_STAMP)

test-core-without-qt: $(CORE_STAMP)
	! $(CORE_VENV)/bin/python -c "import PySide6" 2>/dev/null
	! $(CORE_VENV)/bin/python -c "import pytestqt" 2>/dev/null
	$(CORE_PYTEST) -q --collect-only tests/core > /dev/null
	$(CORE_PYTEST) -n $(PYTEST_WORKERS) $(CORE_TESTS)

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The packaged app (one folder under dist/); the release workflow runs the same script.
dist: $(STAMP)
	$(BIN)/python packaging/build.py $(DIST_ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m ui.screenshots screenshots
	$(BIN)/python -m ui.screenshots screenshots --text=150

clean:
	rm -rf $(VENV) $(CORE_VENV) build dist .pytest_cache .mypy_cache .ruff_cache
