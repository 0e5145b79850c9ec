# Cohort: `make demo` sets up and runs the console demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Where pip finds torch==2.13.0. Empty: the configured indexes (a machine with a local CPU build). On a public
# CPU-only machine use PyTorch's CPU wheel index, or pip resolves the multi-GB CUDA build:
#   make demo TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
TORCH_INDEX_URL ?=
TORCH_PIP_ARGS := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL),)

.PHONY: demo test install bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cohort needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: a CPU build; a plain `torch` requirement resolved first would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet $(TORCH_PIP_ARGS) torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cohort demo

test: $(STAMP)
	@bash scripts/test.sh

bench: $(STAMP)
	$(PY) benchmarks/bench_sentiment.py
	$(PY) benchmarks/bench_matching.py
	$(PY) benchmarks/bench_recommender.py

lint: $(STAMP)
	$(PY) scripts/check_imports.py
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy common cohort bot adapters community storage recommender

clean:
	rm -rf $(VENV) var .pytest_cache
