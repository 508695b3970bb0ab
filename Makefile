# kawaeval: two commands on a fresh machine with Python 3.11+ and make:
#   make report   builds reports/FY2021/ from the bundled sample records
#   make test     runs the whole test suite, on every core
# Both create .venv and install the pinned set (pyproject.toml + requirements.lock) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FISCAL_YEAR ?= 2021
KERNEL := kawaeval
LAB_ARGS ?=
# pytest-xdist workers: one per logical CPU (TEST_JOBS=1 runs the suite in one process)
TEST_JOBS ?= logical
# loadgroup: tests sharing an expensive fixture (xdist_group) stay on one worker; the order is
# tests/conftest.py's (the longest first)
PYTEST := $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadgroup --no-loadscope-reorder

.DEFAULT_GOAL := help
.PHONY: help install report reports-all clean-data assess lab kernel test test-fast lint format bench lock strip distclean

help: ## list every target
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("kawaeval needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test,pdf,docx]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the pinned dependencies (editable kawaeval)

report: $(STAMP) ## build reports/FY2021/ from data/raw/ (FISCAL_YEAR=YYYY for another year)
	$(BIN)/kawaeval build --fiscal-year $(FISCAL_YEAR)
	@echo "open reports/FY$(FISCAL_YEAR)/index.html"

reports-all: $(STAMP) ## build the four program years FY2018-FY2021
	$(BIN)/kawaeval build --fiscal-year 2018 --fiscal-year 2019 --fiscal-year 2020 --fiscal-year 2021

clean-data: $(STAMP) ## data/raw/ -> data/processed/ (tidy tables, rejected.csv, manifest.json)
	$(BIN)/kawaeval clean

assess: $(STAMP) ## print the FY2021 assessment as JSON (FISCAL_YEAR=YYYY for another)
	$(BIN)/kawaeval assess --fiscal-year $(FISCAL_YEAR) --json

kernel: $(STAMP) ## register the Jupyter kernel "kawaeval" inside .venv (not in your home folder)
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (kawaeval)"

# KAWAEVAL_HOME: the kernels start in notebooks/; the notebooks' default records are data/raw/
lab: kernel ## start JupyterLab on notebooks/ with the kawaeval kernel (Ctrl-C stops it)
	KAWAEVAL_HOME="$(CURDIR)" $(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ARGS)

test: $(STAMP) lint ## lint, then the whole pytest suite on every core (TEST_JOBS=N)
	$(PYTEST)

test-fast: $(STAMP) ## the suite without the slow tests (kernels, LibreOffice, Chromium, the wheel)
	$(PYTEST) -m "not slow"

lint: $(STAMP) ## ruff check, ruff format --check, and the layers contract (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## speed benchmarks (ratios, not timings in tests)
	$(BIN)/python -m benchmarks

strip: $(STAMP) ## strip outputs from notebooks before committing
	$(BIN)/nbstripout --extra-keys "metadata.language_info cell.metadata.execution cell.metadata.papermill metadata.papermill" notebooks/*.ipynb

lock: ## re-pin requirements.lock from pyproject.toml in a throwaway venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[test,pdf,docx]'
	( echo '# Full pinned set (pip freeze of a fresh .venv from pyproject.toml). Regenerate with `make lock`.'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^kawaeval' ) > requirements.lock
	rm -rf .lock-venv

distclean: ## remove .venv and generated outputs
	rm -rf $(VENV) reports/FY* data/processed/*.parquet data/processed/*.csv data/processed/*.json
