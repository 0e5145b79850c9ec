# Cohort: `make demo` sets up and runs the console demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cohort needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: a CPU build; a plain `torch` requirement resolved first would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
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
	$(VENV)/bin/ruff check bot adapters community storage recommender tests

clean:
	rm -rf $(VENV) var .pytest_cache
