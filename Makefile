# Everywhere — the two commands: `make run` (the whole local stack) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
WEB_STAMP := web/node_modules/.installed-$(shell cksum < web/package-lock.json | cut -d' ' -f1)

.PHONY: browser run status test check bench bench-events bench-alerts bench-tasks token events reconcile redrive install clean lint package deploy destroy web-upload openapi fuzz escrow-asl

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 packages with pip, and wants pip<26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) $(WEB_STAMP)

## The web client's pinned dependencies (Leaflet, its marker clusters) from web/package-lock.json, into web/node_modules.
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -f web/node_modules/.installed-* && touch $@

## The whole product locally: moto (AWS) + infra + Cognito + demo data + chalice local on :8000 + the web client on :8002.
run: $(STAMP) $(WEB_STAMP)
	$(BIN)/python -m scripts.local_stack

## The running local stack's banner again: its URLs, the demo accounts, where its coordinates are.
status: $(STAMP)
	@$(BIN)/python -m scripts.status

## Every test: the static checks, then unit, integration (moto in-process) and end-to-end (the real local stack over HTTP,
## and the web client in headless Chromium, which scripts/browser.sh installs through apt-get when missing).
test: check $(WEB_STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

## Debian's chromium and chromium-driver for the browser tests (part of `make test`; apt-get when missing).
browser:
	@scripts/browser.sh

## Static checks (part of `make test`): ruff on the whole tree, mypy --strict on chalicelib/ and app.py (pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## The map search benchmark (ours before and after the nearest-first scan, dynamodb-geo): prints its progress
## and targets, writes docs/BENCHMARKS.md and docs/search_rcu.png (~15 minutes; BENCH_QUICK=1: ~5).
BENCH_STAMP := $(VENV)/.bench-$(shell cat bench/requirements.txt | cksum | cut -d' ' -f1)
$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	rm -f $(VENV)/.bench-* && touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

## The events benchmark: per event, DynamoDB units, pushes and Lambda invocations (in-process moto), and the delay
## from commit to frame for 1,000 messages on a local stack of its own; writes docs/EVENTS_BENCHMARK.md (~4 minutes).
bench-events: $(STAMP)
	$(BIN)/python -m bench.events

## The alert fan-out benchmark: what a task at People's Square reads and writes when 20,000 providers have alert
## areas, and what PUT /me/alerts writes; writes the "Alert fan-out" section of docs/TASKS_BENCHMARK.md (~1 minute).
bench-alerts: $(STAMP)
	$(BIN)/python -m bench.task_alerts

## GET /tasks/nearby's reads: RCU, Queries and entries per page at 0.5-20 km over 20,000 open tasks in Shanghai
## (in-process moto), beside the map search's; writes docs/TASKS_BENCHMARK.md, section "Nearby tasks" (~10 minutes).
bench-tasks: $(STAMP)
	$(BIN)/python -m bench.tasks_nearby

## (AS is also make's built-in name of the assembler, "as": only an AS you set counts.)
## A token for a demo user (AS=alice|bob|olga|provider-N, default alice) or a new user (NEW="Their Name"), from the running stack.
token: $(STAMP)
	@$(BIN)/python -m scripts.token $(if $(NEW),--new "$(NEW)",$(if $(filter-out default,$(origin AS)),"$(AS)",alice))

## Watch a demo user's events arrive over the running stack's WebSocket (AS=alice|bob|olga|provider-N; Ctrl-C stops).
events: $(STAMP)
	@$(BIN)/python -m scripts.watch_events $(if $(filter-out default,$(origin AS)),"$(AS)",alice)

## Check the books of the running local stack (or of the stage the environment names); exit 1 on drift.
reconcile: $(STAMP)
	$(BIN)/python -m scripts.reconcile

## Re-drive an order's escrow after a failure (ORDER=<id>): a new execution at its status; safe to repeat.
redrive: $(STAMP)
	@test -n "$(ORDER)" || { echo "say which order: make redrive ORDER=<order id>"; exit 1; }
	$(BIN)/python -m scripts.redrive "$(ORDER)"

## The OpenAPI document: rewrite docs/openapi.json from the code (CHECK=1 only compares: exit 1 if it is stale).
openapi: $(STAMP)
	$(BIN)/python -m scripts.openapi $(if $(CHECK),--check)

## The escrow workflow: rewrite chalicelib/workflows/escrow.asl.json from its builder (CHECK=1 only compares).
escrow-asl: $(STAMP)
	$(BIN)/python -m scripts.escrow_asl $(if $(CHECK),--check)

## Contract fuzzing against a fresh local stack (part of `make test`; FUZZ_EXAMPLES=1000 for a deeper run).
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e/test_contract_fuzz.py

## Deploying to AWS (docs/OPERATIONS.md). Chalice takes the Lambda runtime from the Python that runs it,
## so these run from their own venv on DEPLOY_PYTHON: the first of python3.12, python3.13, python3 that really
## runs and is 3.11 or newer (a pyenv shim of a version that is not active is on the PATH but does not run).
DEPLOY_CANDIDATES := python3.12 python3.13 python3
DEPLOY_PYTHON ?= $(firstword $(foreach candidate,$(DEPLOY_CANDIDATES),$(shell $(candidate) -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && command -v $(candidate))))
DEPLOY_VENV := .venv-deploy
DEPLOY_BIN := $(DEPLOY_VENV)/bin
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGED_GOALS := $(filter package deploy destroy web-upload,$(MAKECMDGOALS))
ifneq ($(STAGED_GOALS),)
ifndef STAGE
$(error say which stage, e.g. make $(firstword $(STAGED_GOALS)) STAGE=dev)
endif
endif

$(DEPLOY_STAMP): requirements.txt requirements-dev.txt
	@test -x $(DEPLOY_BIN)/python || test -n "$(DEPLOY_PYTHON)" \
		|| { echo "no Python 3.11 or newer runs here (tried $(DEPLOY_CANDIDATES)): set DEPLOY_PYTHON"; exit 1; }
	@test -x $(DEPLOY_BIN)/python || echo "creating $(DEPLOY_VENV) with $(DEPLOY_PYTHON) ($$($(DEPLOY_PYTHON) --version))"
	test -x $(DEPLOY_BIN)/python || $(DEPLOY_PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(DEPLOY_VENV) needs Python 3.11 or newer: rm -rf $(DEPLOY_VENV) and set DEPLOY_PYTHON"; exit 1; }
	$(DEPLOY_BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 packages with pip, and wants pip<26.3
	$(DEPLOY_BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(DEPLOY_VENV)/.installed-* && touch $@

## cfn-lint on the infra template and on the packaged app of STAGE (default prod); exit 1 on errors or warnings.
lint: $(STAMP)
	$(BIN)/python -m scripts.lint_templates --stage $(or $(STAGE),prod)

## One CloudFormation (SAM) template for STAGE, app and infra together: out/<stage>/package/ (then cfn-lint).
package: $(DEPLOY_STAMP)
	@echo "package with $$($(DEPLOY_BIN)/python --version) ($(DEPLOY_VENV))"
	$(DEPLOY_BIN)/python -m scripts.package --stage $(STAGE)

## Deploy STAGE to the AWS account and region of your credentials: the infra stack, then the app (chalice), then
## the web client (web/ with its pinned Leaflet, and config.json) into the stage's web bucket behind CloudFront.
deploy: $(DEPLOY_STAMP) $(WEB_STAMP)
	@echo "deploy with $$($(DEPLOY_BIN)/python --version) ($(DEPLOY_VENV))"
	$(DEPLOY_BIN)/python -m scripts.deploy deploy --stage $(STAGE)

## The web client (web/ and config.json) onto a STAGE deployed from `make package`'s template, from its stack's outputs.
web-upload: $(DEPLOY_STAMP) $(WEB_STAMP)
	$(DEPLOY_BIN)/python -m scripts.web_upload --stage $(STAGE)

## Delete STAGE and all its data (the app, then the infra stack, its web bucket emptied); CONFIRM must repeat the stage's name.
destroy: $(DEPLOY_STAMP)
	@echo "destroy with $$($(DEPLOY_BIN)/python --version) ($(DEPLOY_VENV))"
	$(DEPLOY_BIN)/python -m scripts.deploy destroy --stage $(STAGE) --confirm "$(CONFIRM)"

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) .local .pytest_cache .hypothesis
