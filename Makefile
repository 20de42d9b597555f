# Carrefour — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
# pyenv's shims are not on PATH everywhere (CI): ask pyenv itself where 3.10 lives.
BASE_PYTHON ?= $(shell scripts/find-python.sh $(PYTHON_VERSION))
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/carrefour.tar.gz
WEB_DEPS := web/node_modules/.installed

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055

# The classifier's features and the search come from bot/, so any change there retrains.
TRAINING_INPUTS := config.yml domain.yml $(shell find data knowledge bot -name '*.yml' -o -name '*.py' 2>/dev/null)

.PHONY: help install validate train run shell test lint typecheck unit test-stories test-web browser screenshots test-cluster soak eval eval-nlu bench bench-search retention kb-report export-hsds clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt setuptools==70.3.0 wheel==0.45.1
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]" --no-build-isolation
	@touch $@

# The widget's socket.io client and the accessibility engine of the browser tests (pinned by the lock file).
$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed $(WEB_DEPS) ## Create .venv and web/node_modules with the pinned packages

validate: install ## Validate the knowledge base and the training data
	$(PY) -m bot.knowledge
	$(RASA) data validate --fail-on-warnings --quiet

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(PY) -m bot.knowledge
	$(RASA) train --fixed-model-name carrefour --out models --force --quiet

train: $(MODEL) ## Train the model if it is missing or its inputs changed

run: validate train $(WEB_DEPS) ## Start the assistant (action server + Rasa), Ctrl-C stops both
	@scripts/serve.sh foreground

shell: install ## Chat with the running assistant in this terminal
	$(PY) scripts/chat.py

lint: install ## ruff (lint and format check)
	$(VENV)/bin/ruff check bot actions tests scripts bench
	$(VENV)/bin/ruff format --check bot actions tests scripts bench

typecheck: install ## mypy
	$(VENV)/bin/mypy

unit: install ## Unit, property and parity tests (no Rasa server)
	$(PY) -m pytest -m "not browser and not cluster"

test-stories: validate train ## Conversation tests in both languages: NLU and actions (rasa test --e2e)
	$(RASA) test core --stories tests/stories --model $(MODEL) --e2e --fail-on-prediction-errors --out results/core --quiet

test-cluster: train ## Production profile on loopback (PostgreSQL, Redis, nginx, 2 Rasa + 2 action servers): state, failover, faults
	@scripts/cluster.sh start
	@trap 'scripts/cluster.sh stop' EXIT; CARREFOUR_REQUIRE_CLUSTER=1 $(PY) -m pytest -m cluster tests/cluster \
		|| { tail -n 20 .run-cluster/*.log >&2; exit 1; }

soak: train ## 50 conversations for 10 minutes against the loopback cluster, every message accounted for; writes docs/soak.md
	@scripts/cluster.sh start
	@trap 'scripts/cluster.sh stop' EXIT; $(PY) scripts/soak.py --conversations 50 --minutes 10

eval: train ## Held-out evaluation through the REST channel, with thresholds; writes docs/evaluation.md
	@scripts/serve.sh background
	@trap 'scripts/serve.sh stop' EXIT; $(PY) scripts/evaluate.py --cases tests/eval/cases.yml --url http://localhost:$(RASA_PORT) \
		--check --json results/eval.json --nlu results/nlu-cv.json --report docs/evaluation.md

eval-nlu: install ## NLU 5-fold cross-validation per language, for the next make eval's report (slow: ~15 min on two cores)
	$(PY) scripts/nlu_eval.py --folds 5 --seed 0 --json results/nlu-cv.json

browser: ## Install Debian's Chromium for the browser tests (needs root or sudo)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# The web tests run the server with a Twilio token of their own, to text it as Twilio would,
# and with the rate limits stated, so that the flood tests read the same ones as the server.
WEB_TEST_ENV = TWILIO_AUTH_TOKEN=$${TWILIO_AUTH_TOKEN:-local-test-token} \
	CARREFOUR_RATE_PER_MINUTE=$${CARREFOUR_RATE_PER_MINUTE:-30} CARREFOUR_RATE_BURST=$${CARREFOUR_RATE_BURST:-10}

test-web: train install ## Widget, agent console and SMS against the running assistant: headless Chromium, axe-core
	@command -v chromium >/dev/null || { echo "Chromium is missing: run 'make browser' (Debian's chromium package)." >&2; exit 1; }
	@$(WEB_TEST_ENV) scripts/serve.sh background
	@trap 'scripts/serve.sh stop' EXIT; $(WEB_TEST_ENV) CARREFOUR_REQUIRE_SERVER=1 CARREFOUR_URL=http://localhost:$(RASA_PORT) \
		CARREFOUR_CONSOLE_TOKEN=$${CARREFOUR_CONSOLE_TOKEN:-$$(cat .run/console-token)} $(PY) -m pytest -m browser tests/browser

screenshots: train install ## Retake the README's screenshots (docs/img/) in headless Chromium
	@$(WEB_TEST_ENV) scripts/serve.sh background
	@trap 'scripts/serve.sh stop' EXIT; $(WEB_TEST_ENV) CARREFOUR_SCREENSHOTS=1 CARREFOUR_REQUIRE_SERVER=1 CARREFOUR_URL=http://localhost:$(RASA_PORT) \
		CARREFOUR_CONSOLE_TOKEN=$${CARREFOUR_CONSOLE_TOKEN:-$$(cat .run/console-token)} $(PY) -m pytest -m browser tests/browser

bench: install ## Load benchmark: the assistant against a bare Rasa baseline (Locust); writes docs/benchmarks.md
	$(PY) scripts/bench.py

bench-search: install ## Knowledge-base search latency at 1x, 10x and 100x the real knowledge base (~5 min)
	$(PY) scripts/bench_search.py --sizes 1,10,100

retention: install ## Delete conversations older than CARREFOUR_RETENTION_DAYS days (default 30) from .run/trackers.db
	$(PY) -m bot.tracker_store

kb-report: install ## Knowledge-base coverage, languages, freshness, contacts; fails on a coverage hole
	$(PY) -m bot.kb_report --out results/kb-report.md

export-hsds: install ## Export the knowledge base as Open Referral HSDS 3.0 (JSON and CSV) under exports/hsds
	$(PY) -m bot.hsds --out exports/hsds

test: lint typecheck unit validate kb-report train test-stories test-web eval ## Everything CI runs

clean: ## Remove the model, results and run files (keeps .venv)
	rm -rf models results exports .run
