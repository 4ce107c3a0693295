# creator-discovery: every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
# Telemetry off for dagster (dagster.yaml below), MLflow, Evidently, dbt and Scarf-instrumented packages.
export DO_NOT_TRACK := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export SCARF_NO_ANALYTICS := true

SCALE ?= demo
SEED ?= 7
PROFILE ?= default
UI_PORT ?= 3000
MLFLOW_PORT ?= 5000
Q ?= compost seedlings greenhouse
BENCH_SCALE ?= large
UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
DBT_DIRS := --project-dir dbt_project --profiles-dir dbt_project

.PHONY: help install manifest data materialize demo drift-demo test lint format ui mlflow search serve export rollback sql bench clean

help:  ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	@echo "uv not found: installing it from PyPI into ~/.local"
	python3 -m pip install --user --quiet uv

install: $(UV) ## Install the locked dependencies, prepare the dbt manifest and the Dagster home
	@# Precompiled bytecode: with PYTHONDONTWRITEBYTECODE set, every process would recompile imports.
	$(UV) sync --frozen --compile-bytecode
	@$(MAKE) --no-print-directory manifest
	@# dagster.yaml from the settings: telemetry off, a run queue of one (DuckDB admits one writer),
	@# SQLite storage, or PostgreSQL with CREATOR_DISCOVERY_DAGSTER_STORAGE_URL (resources/instance.py).
	@$(RUN) python -m resources.instance

manifest:  ## Parse the dbt project into dbt_project/target/manifest.json
	$(RUN) dbt parse --quiet $(DBT_DIRS)

data: install  ## Generate the platform into the landing zone (SCALE=tiny|demo|large, SEED=7, PROFILE=default|irregular)
	$(RUN) python -m recsys.datagen --profile $(PROFILE) --scale $(SCALE) --seed $(SEED) --overwrite

materialize: install  ## Materialize every asset from what is in the landing zone
	$(RUN) python -m scripts.materialize_all

demo: data materialize  ## The whole demo: install, generate, materialize every asset

test: install  ## Run the test suite
	$(RUN) pytest

lint: install  ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install  ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

ui: install  ## Dagster UI with the daemon on http://127.0.0.1:$(UI_PORT)
	$(RUN) python -m scripts.ui --port $(UI_PORT)

drift-demo: install  ## Normal days, then drifted ones (DRIFT=engagement|topic_shift|none): checks fail, the sensor retrains
	$(RUN) python -m scripts.drift_demo $(if $(DRIFT),--drift $(DRIFT))

APT := $(if $(filter 0,$(shell id -u)),,sudo )env DEBIAN_FRONTEND=noninteractive apt-get
.PHONY: browser
browser:  ## Install Debian's chromium (the browser tests drive it) unless /usr/bin/chromium exists
	@test -x /usr/bin/chromium || $(APT) install -y --no-install-recommends chromium \
		|| { $(APT) update && $(APT) install -y --no-install-recommends chromium; }

# dbt-spark and pyspark (the uv group `spark`) live in their own environment: installed into .venv,
# the next `uv sync` there would remove them again. Only the group: dbt needs nothing else.
SPARK_ENV := $(CURDIR)/.venv-spark
.PHONY: spark-env test-spark
spark-env: $(UV)  ## The Spark environment .venv-spark/ for `dbt --target spark` (Java from Debian if missing)
	@command -v java >/dev/null || $(APT) install -y --no-install-recommends openjdk-17-jre-headless \
		|| { $(APT) update && $(APT) install -y --no-install-recommends openjdk-17-jre-headless; }
	UV_PROJECT_ENVIRONMENT=$(SPARK_ENV) $(UV) sync --frozen --only-group spark

test-spark: install spark-env  ## The tiny platform's dbt tables built on Spark and on DuckDB, compared row for row
	$(RUN) pytest -m spark tests/transform/test_spark_marts.py

# dagster-k8s (the uv group `deploy`) is added to .venv by this inexact sync; the next `uv sync`
# (make install) removes it again. No cluster: the test loads the code location and the instance.
.PHONY: test-deploy
test-deploy: install  ## The code location and instance configured for Kubernetes (deploy/k8s), loaded without a cluster
	$(RUN) --group deploy pytest -m deploy tests/deploy

mlflow: install  ## MLflow UI on http://127.0.0.1:$(MLFLOW_PORT): runs, metrics, the champion alias
	@# No background job workers: they outlive the server on Ctrl-C and nothing here uses them.
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(RUN) python -m scripts.mlflow_ui --port $(MLFLOW_PORT)

search: install  ## Search posts and creators: make search Q="sourdough oven"
	$(RUN) python -m recsys.serving.search "$(Q)"

serve: install  ## The recommendation API on http://127.0.0.1:8000 (docs at /docs; CREATOR_DISCOVERY_SERVE_PORT)
	$(RUN) python -m service

export: install  ## Export the recommendation tables to the product database (the export job)
	$(RUN) python -m scripts.run_job export

rollback: install  ## Restore the product database's previous export version (the rollback_export job)
	$(RUN) python -m scripts.run_job rollback_export

sql: install  ## SQL shell on the analysts' snapshot; SQL="SELECT ..." runs one statement
	$(RUN) python -m recsys.publish.sql_shell $(if $(SQL),-c "$(SQL)")

bench: install  ## Benchmarks at BENCH_SCALE (default large), BENCH_STAGES (default all): time, memory, ratios
	$(RUN) python -m bench --scale $(BENCH_SCALE) $(if $(BENCH_STAGES),--stages $(BENCH_STAGES))

.PHONY: bench-e2e
bench-e2e: install  ## make materialize at BENCH_SCALE (generated if missing): time, process-tree memory, bare baselines
	$(RUN) python -m bench.e2e --scale $(BENCH_SCALE)

clean:  ## Remove everything generated (data/, dbt target)
	rm -rf data dbt_project/target dbt_project/logs
