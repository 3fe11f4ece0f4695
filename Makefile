PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/sanctions-kg build
	$(BIN)/sanctions-kg validate
	$(BIN)/sanctions-kg stats
	$(BIN)/sanctions-kg query --name sanctions-on-iran --format table
	$(BIN)/sanctions-kg query --name raisi-claims --format table

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy --strict src benchmarks/corpus.py benchmarks/run.py

pytest: $(STAMP_DEV)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest
	$(BIN)/python benchmarks/run.py --quick

bench: $(STAMP_DEV)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build .sanctions-kg dist
