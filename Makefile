# Every target creates .venv when missing and installs the distributions of this repository
# into it (editable, with their test extras); it reinstalls when a pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DISTS := core plugins/aws_auth plugins/aws_secretsmanager plugins/aws_ssm plugins/aws_ecr
STAMP := $(VENV)/.installed
# The demo needs the distributions and the AWS emulator only, not the test tools: a lighter,
# faster first install. A full install (STAMP) serves it too.
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: bench demo test lint unit quick reliability install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))
	$(BIN)/python -m pip install --quiet $(foreach d,$(DISTS),-e '$(d)[test]')
	touch $@

$(DEMO_STAMP): $(BIN)/python pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then touch $@; else \
		echo "==> installing extsecrets and its AWS plugins into $(VENV) (first run only)"; \
		$(BIN)/python -m pip install --quiet -e core -e 'plugins/aws_auth[emulator]' \
			-e plugins/aws_secretsmanager -e plugins/aws_ssm -e plugins/aws_ecr && touch $@; fi

install: $(STAMP)

## lint: ruff, mypy --strict on the core and the plugins, import-linter contracts
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core/src $(wildcard plugins/*/src)
	$(BIN)/lint-imports

## unit: the pytest suite (plugins loaded strictly: any plugin failure is fatal)
unit: $(STAMP)
	EXTSECRETS_STRICT_PLUGINS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

## demo: the whole flow against a local AWS emulator, no cloud account, no cluster
demo: $(DEMO_STAMP)
	@$(BIN)/python examples/run_demo.py $(DEMO_ARGS)

## bench: AWS calls, time and writes, extsecrets next to a model of ESO (bench/README.md);
## W3 first (it starts its own API server), then template rendering, then W1, W2, W4, W5, W6
## and the table of all
bench: $(STAMP)
	$(BIN)/python bench/operator_w3.py $(W3_ARGS)
	$(BIN)/python bench/templates.py $(TEMPLATES_ARGS)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## quick: the suite without the tests that need the real kube-apiserver (fast to iterate)
quick: $(STAMP)
	EXTSECRETS_STRICT_PLUGINS=1 $(BIN)/python -m pytest -m "not kube" $(PYTEST_ARGS)

## reliability: the long variants of the reliability suite (docs/reliability.md); its figures
## go to bench/results/reliability.json. Starts its own AWS emulator and kube-apiserver.
reliability: $(STAMP)
	EXTSECRETS_STRICT_PLUGINS=1 EXTSECRETS_RELIABILITY=long \
		EXTSECRETS_RELIABILITY_REPORT=bench/results/reliability.json \
		$(BIN)/python -m pytest -m reliability tests/reliability $(PYTEST_ARGS)

## test: everything CI runs
test: lint unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
