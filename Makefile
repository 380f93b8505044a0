# listening_pipeline: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
OPENCV_VERSION := $(shell sed -n 's/^opencv-python-headless==//p' constraints.txt)

# Offline first: nothing reaches a model hub or phones home unless a user asks for it.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYANNOTE_METRICS_ENABLED := false
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := 0
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home
# The project's own tools first (dbt for dagster-dbt's dev preparation, dg for `dg check defs`).
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install system-deps dbt-parse demo lint test dev clean screenshot eval bench

install: system-deps $(INSTALLED) dbt-parse

# espeak-ng makes the sample speech; the PostgreSQL server binaries run the production-mode tests, redis-server the Celery scale-out test.
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing (install them, e.g. sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@free_kb=$$(df -Pk . | awk 'NR==2 {print $$4}'); \
	if [ -n "$$free_kb" ] && [ "$$free_kb" -lt 12000000 ]; then \
	  echo "warning: the full install (torch, whisperx, models) needs about 10 GB; this disk has $$((free_kb / 1048576)) GB free: pip may stop with 'No space left on device'"; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# ultralytics pulls opencv-python, easyocr the headless build; both write cv2/. Keep the headless one.
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps opencv-python-headless==$(OPENCV_VERSION)
	touch $@

dbt-parse: $(INSTALLED)
	cd dbt && ../$(VENV)/bin/dbt parse --profiles-dir . --quiet

demo: install
	$(VENV)/bin/listening-pipeline demo

# Lint, format, types, SQL style and the Dagster definitions, then the tests (dbt build runs inside them).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/dg check defs
	cd dbt && ../$(VENV)/bin/sqlfluff lint models

# Tests run in TEST_WORKERS processes (pytest-xdist; idle workers steal queued tests): most tests wait on
# subprocesses (dbt, Dagster runs, PostgreSQL) or run Python on one core, so two workers keep a 2-core
# machine busy (pytest on the 2-core CI-sized machine: one process 35 min, two 24, three 26; each worker
# loads its own models, about 3 GB). Each worker has its own session folder and Dagster instance.
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 2
test: install lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

# The real-media evaluation set (eval/): the pipeline on it, scored; a benchmark, not a test. LABEL names the results file.
eval: install
	$(PY) eval/run_eval.py --label $(or $(LABEL),latest)

# The pipeline against a naive script and the decode-only ceiling, in one run (bench/RESULTS.md); a benchmark,
# not a test. ARGS passes flags: ARGS=--quick for a few short videos, ARGS="--videos 12 --naive-videos 2".
bench: install
	$(PY) -m bench $(ARGS)

# `hashtags sync` also writes $(DAGSTER_HOME)/dagster.yaml (telemetry off) on first use.
dev: install
	$(VENV)/bin/listening-pipeline hashtags sync
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

clean:
	rm -rf var dbt/target dbt/logs

# docs/img/asset-graph.png from the UI on var/ (after `make demo`); needs Chromium (apt-get install chromium).
screenshot: install
	$(PY) scripts/asset_graph_screenshot.py --data-dir var --out docs/img/asset-graph.png
