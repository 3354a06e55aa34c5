# Two commands matter: `make demo` runs the product, `make test` checks it. Both install first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export TOKENIZERS_PARALLELISM := false
PORT ?= 8501

.PHONY: install demo test e2e eval bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch goes first: the CPU wheel on this machine's disk; anything else would pull a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/qa ingest eval/corpus --collection sample
	@echo "Open http://127.0.0.1:$(PORT) and ask: What does Russia demand?"
	$(BIN)/qa ui --collection sample --port $(PORT)

test: install
	$(BIN)/python -m pytest -q -ra tests

e2e: install
	$(BIN)/python -m pytest -q -ra -m e2e tests/e2e

eval: install
	$(BIN)/qa eval --corpus eval/corpus --gold eval/gold/sample.jsonl --out .eval-out/sample-extractive --answerer extractive

bench: install
	$(BIN)/python -m eval.bench
