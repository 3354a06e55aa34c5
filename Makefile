# Two commands matter: `make demo` runs the product, `make test` checks it (the whole suite). Both install first.
# `make check` is the fast loop while editing (under 3 minutes): `make lint`, then the unit tests.
# `make lint` checks style, types and the import layers (ruff, mypy, import-linter).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export TOKENIZERS_PARALLELISM := false
PORT ?= 8501

.PHONY: install demo test check lint e2e eval bench bench-retrieval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch goes first: the CPU wheel on this machine's disk; anything else would pull a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# llama.cpp built for this CPU (assistant/models/install/llama_build.py): reads prompts faster than the generic xllamacpp
# wheel. Built once (~4 min) and cached in ~/.cache/cited-qa/wheels; when it fails, xllamacpp stays in
# charge. NATIVE_LLAMA=0 skips it.
# The embedding model is exported to ONNX once (assistant/models/install/onnx_export.py); later runs find it verified and return.
NATIVE_LLAMA ?= 1
install: $(STAMP)
	@$(BIN)/python -m assistant.models.install.onnx_export
	@$(BIN)/python -m assistant.models.install.assemble
ifneq ($(NATIVE_LLAMA),0)
	@$(BIN)/python -m assistant.models.install.llama_build
endif
	@$(BIN)/qa warm-up

demo: install
	$(BIN)/qa ingest eval/corpus --collection sample
	@echo "Open http://127.0.0.1:$(PORT) and ask: What does Russia demand?"
	$(BIN)/qa ui --collection sample --port $(PORT)

test: install
	$(BIN)/python -m pytest -q -ra tests

# Lint, then tests/unit: no network socket, no real embedding or language model, no browser, no server
# (tests/unit/conftest.py enforces it; the few unit tests marked `integration` run in `make test` only).
# Needs only the installed packages, not the models `install` prepares.
check: lint
	$(BIN)/python -m pytest -q -ra -m "not integration" tests/unit

# Lint and format check (ruff), then types (mypy: --strict on assistant/ and ingest/, see pyproject.toml).
# Needs only the installed packages, not the models `install` prepares.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

e2e: install
	$(BIN)/python -m pytest -q -ra -m e2e tests/e2e

XQUAD := ../shared/datasets/xquad-en/xquad.en.json
SEED := ../shared/seed-corpus
COVIDQA := ../shared/datasets/covid-qa/covid-qa.json
# Adversarial sets (eval/adversarial.py): built from whichever of the two datasets exist. The gold file
# alternates answerable and unanswerable items, so any first N questions are balanced: the local answerer
# runs the first ADV_LOCAL_LIMIT, the extractive one all of them (or ADV_EXTRACTIVE_LIMIT, when set).
ADV := .eval-out/adversarial-data
ADV_SEED ?= 0
ADV_LOCAL_LIMIT ?= 150
ADV_EXTRACTIVE_LIMIT ?=
ADV_ARGS := $(if $(wildcard $(XQUAD)),--xquad $(XQUAD)) $(if $(wildcard $(COVIDQA)),--covid $(COVIDQA))
# Semantic classes (issue 24): a claim set for the support check (eval/claims_data.py; the local model judges
# its test half, or the first CLAIMS_LIMIT claims of it; the dev half is for tuning) and a gold set with generated
# documents (eval/semantic.py; the extractive answerer runs all of it, the local one the first SEM_LOCAL_LIMIT
# questions, a balanced sample).
CLAIMS := .eval-out/claims-data
SEM := .eval-out/semantic-data
SEM_SEED ?= 0
CLAIMS_LIMIT ?=
SEM_LOCAL_LIMIT ?= 150
eval: install
	for answerer in extractive local; do \
	  $(BIN)/qa eval --corpus eval/corpus --gold eval/gold/sample.jsonl --out .eval-out/sample-$$answerer --answerer $$answerer || exit 1; \
	  if [ -d $(SEED) ]; then \
	    $(BIN)/qa eval --corpus $(SEED) --gold eval/gold/seed.jsonl --out .eval-out/seed-$$answerer --answerer $$answerer || exit 1; \
	  else echo "seed corpus not found at $(SEED): seed set skipped"; fi; \
	done
	@if [ -f $(XQUAD) ]; then \
	  $(BIN)/qa eval convert $(XQUAD) --out .eval-out/xquad-data && \
	  $(BIN)/qa eval --corpus .eval-out/xquad-data/corpus --gold .eval-out/xquad-data/gold.jsonl --out .eval-out/xquad-extractive --answerer extractive && \
	  $(BIN)/qa eval --corpus .eval-out/xquad-data/corpus --gold .eval-out/xquad-data/gold.jsonl --out .eval-out/xquad-local --answerer local --limit 100; \
	else echo "XQuAD not found at $(XQUAD): skipped"; fi
	@if [ -n "$(strip $(ADV_ARGS))" ]; then \
	  $(BIN)/qa eval adversarial $(ADV_ARGS) --out $(ADV) --seed $(ADV_SEED) && \
	  $(BIN)/qa eval --corpus $(ADV)/corpus --gold $(ADV)/gold.jsonl --out .eval-out/adversarial-extractive --answerer extractive $(if $(ADV_EXTRACTIVE_LIMIT),--limit $(ADV_EXTRACTIVE_LIMIT)) && \
	  $(BIN)/qa eval --corpus $(ADV)/corpus --gold $(ADV)/gold.jsonl --out .eval-out/adversarial-local --answerer local --limit $(ADV_LOCAL_LIMIT); \
	else echo "neither $(XQUAD) nor $(COVIDQA) found: adversarial sets skipped"; fi
	@if [ -n "$(strip $(ADV_ARGS))" ]; then \
	  $(BIN)/qa eval claims-data $(ADV_ARGS) --out $(CLAIMS) --seed $(SEM_SEED) && \
	  $(BIN)/qa eval claims --data $(CLAIMS)/claims.jsonl --split test --out .eval-out/claims-local --answerer local $(if $(CLAIMS_LIMIT),--limit $(CLAIMS_LIMIT)) && \
	  $(BIN)/qa eval semantic-data $(ADV_ARGS) --out $(SEM) --seed $(SEM_SEED) && \
	  $(BIN)/qa eval --corpus $(SEM)/corpus --gold $(SEM)/gold.jsonl --out .eval-out/semantic-extractive --answerer extractive && \
	  $(BIN)/qa eval --corpus $(SEM)/corpus --gold $(SEM)/gold.jsonl --out .eval-out/semantic-local --answerer local --limit $(SEM_LOCAL_LIMIT); \
	else echo "neither $(XQUAD) nor $(COVIDQA) found: claim and semantic sets skipped"; fi

# Every part (see README "Speed"): local-model answer latency (needs ../shared/seed-corpus), retrieval quality,
# search latency at 10,000 and 100,000 chunks, ingest, start-up, scale-out, embedders and prefill.
bench: install
	$(BIN)/qa bench

# Retrieval quality on the dev and test halves of XQuAD, COVID-QA and the distractor set made from them, beside
# plain BM25 and the naive LangChain recipe (about 20 minutes), and search latency at 10,000 chunks.
bench-retrieval: install
	$(BIN)/qa bench --part quality --part latency
