# The project's entry points. `make run` and `make test` set up whatever is missing first
# (Debian packages, the Python venv, buf from npm, Maven dependencies), quickly when present.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
BUF      := node_modules/.bin/buf
STAMPS   := .cache/stamps
REGISTRY ?= var/registry
ADDRESS  ?= 127.0.0.1:50051
METRICS_ADDRESS ?= 127.0.0.1:9464
WORKERS  ?= 1
STORE    ?= sqlite:///var/online.db
MVN      := mvn -B -ntp -Dstyle.color=never
JAVA_CLASSPATH := clients/java/client/target/classpath.txt
export SUPPORTABILITY_ROOT := $(CURDIR)

.PHONY: help setup run test lint lint-contract lint-python lint-ruby generate model test-contract test-python test-java test-ruby \
        test-cross-language bench release-contract clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

# -- setup ------------------------------------------------------------------------------------

$(STAMPS)/apt: tools/setup-apt.sh
	@mkdir -p $(STAMPS)
	bash tools/setup-apt.sh
	@touch $@

$(STAMPS)/venv: python/pyproject.toml python/requirements.lock
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c python/requirements.lock -e 'python[dev]'
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/go: tools/setup-go.sh
	@mkdir -p $(STAMPS)
	bash tools/setup-go.sh
	@touch $@

setup: $(STAMPS)/apt $(STAMPS)/venv $(STAMPS)/npm $(STAMPS)/go ## install everything the build needs (idempotent)

# -- contract -----------------------------------------------------------------------------------

generate: setup ## regenerate the checked-in Python and Ruby code from proto/
	$(PY) tools/generate.py

lint: lint-contract lint-python lint-ruby ## every linter and type checker (Java's run in its build: -Xlint -Werror, format check)

lint-contract: $(STAMPS)/npm ## buf lint, and buf breaking against the last released contract
	$(BUF) lint
	$(BUF) breaking proto --against releases/contract.binpb

lint-python: $(STAMPS)/venv ## ruff (lint and format) and mypy on the package; generated v1/ excluded
	cd python && ../$(VENV)/bin/ruff check . && ../$(VENV)/bin/ruff format --check . && ../$(VENV)/bin/mypy

lint-ruby: $(STAMPS)/apt ## rubocop on the gem, its tests and the example app; generated v1/ excluded
	cd clients/ruby && rubocop

release-contract: lint-contract ## record the current contract as released: later breaking changes fail lint
	$(BUF) build proto -o releases/contract.binpb

# -- run ------------------------------------------------------------------------------------------

model: setup ## train and promote the default model if the registry has none this code can load
	$(PY) -m supportability ensure-model --registry $(REGISTRY)

run: model ## serve the promoted model on $(ADDRESS) (health checking and reflection on)
	$(PY) -m supportability online upgrade --store $(STORE)  # the embedded store follows the code's schema
	$(PY) -m supportability serve --address $(ADDRESS) --registry $(REGISTRY) --metrics-address $(METRICS_ADDRESS) --store $(STORE) --workers $(WORKERS)

# -- test -----------------------------------------------------------------------------------------

test: setup ## every test of every language (all run even when one fails; the exit code says if any did)
	$(MAKE) --no-print-directory --keep-going lint-python lint-ruby test-contract test-python test-java test-ruby test-cross-language

test-contract: setup ## buf lint + breaking, checked-in generated code up to date
	$(MAKE) --no-print-directory lint-contract
	$(PY) tools/generate.py --check
	$(PY) -m pytest -q tests/contract

test-python: setup model ## the Python package's tests, and the bench harness's own
	cd python && ../$(PY) -m pytest -q
	$(PY) -m pytest -q bench

test-java: setup model
	cd clients/java && $(MVN) verify

# The Java client built without its tests, for the cross-language test run on its own.
$(JAVA_CLASSPATH):
	cd clients/java && $(MVN) -q package -DskipTests

test-ruby: setup model
	cd clients/ruby && rake test

test-cross-language: setup model $(JAVA_CLASSPATH) ## the golden vectors through the Python, Java and Ruby clients
	$(PY) -m pytest -q tests/cross_language

# -- bench ----------------------------------------------------------------------------------------

bench: setup model $(JAVA_CLASSPATH) ## throughput and latency side by side with a bare gRPC server and MLServer
	$(PY) bench/run.py
	$(PY) bench/online.py  # the prediction log's cost; durable outcome writes on SQLite and PostgreSQL
	$(PY) bench/overload.py  # 200 callers with 100 ms deadlines: what is shed, admitted p99, goodput
	$(PY) bench/assistant.py  # what supportability mcp adds to a PredictCase over stdio; its memory
	$(PY) -m supportability.benchmarks.latency --registry $(REGISTRY)
	$(PY) -m supportability.benchmarks.compare --out .cache/bench/models.json  # linear, teacher, student; BANKING77 skipped where absent
	$(PY) -m supportability.benchmarks.unseen_intents --kinds linear,student,teacher --out .cache/bench/unseen_intents.json  # 20 BANKING77 intents never seen, scored as out of scope
	$(PY) -m supportability.benchmarks.noisy_labels --out .cache/bench/noisy_labels.json  # train --noisy-labels none vs auto: synthetic (15% noise) and BANKING77
	$(PY) -m supportability.benchmarks.experiments  # A/A peeking, SRM flags, bandit regret, off-policy coverage
	$(PY) bench/experiments.py --registry $(REGISTRY)  # what assignment and shadows cost PredictCase
	$(PY) -m supportability.benchmarks.batch --cases 1000000  # the model, the local engine and Spark local[2] on one file
	$(PY) -m supportability.benchmarks.boosted --out .cache/bench/boosted.json  # linear vs boosted vs Bayes, with and without interactions; xgboost.spark vs single-node training

clean: ## remove build output (keeps the venv and the registry)
	rm -rf clients/java/target .cache/stamps
