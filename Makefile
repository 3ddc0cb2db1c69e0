# Everywhere — the two commands: `make run` (the whole local stack) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench token reconcile install clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## The whole product locally: moto (AWS) + infra + Cognito + demo data + chalice local on :8000.
run: $(STAMP)
	$(BIN)/python -m scripts.local_stack

## Every test: unit, integration (moto in-process) and end-to-end (the real local stack over HTTP).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

## The geo search benchmark: prints tables, writes docs/BENCHMARKS.md and docs/read_amplification.png.
## BENCH_QUICK=1 for the short run.
BENCH_STAMP := $(VENV)/.bench-$(shell cat bench/requirements.txt | cksum | cut -d' ' -f1)
$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	rm -f $(VENV)/.bench-* && touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

## A token for a demo user (AS=alice|bob|olga, default alice) or a new user (NEW="Their Name"), from the running stack.
token: $(STAMP)
	@$(BIN)/python -m scripts.token $(if $(NEW),--new "$(NEW)",$(or $(AS),alice))

## Check the books of the running local stack (or of the stage the environment names); exit 1 on drift.
reconcile: $(STAMP)
	$(BIN)/python -m scripts.reconcile

clean:
	rm -rf $(VENV) .local .pytest_cache .hypothesis
