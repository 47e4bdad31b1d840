# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
DEMO_DIR ?= demo_output

.PHONY: demo test test-slow bench lock clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Pinned installs. The runtime lock (requirements.lock) holds what `make demo` and a scoring host
# run; the dev lock adds what the tests need (pytest, hypothesis, notebooks, duckdb, psycopg), at
# the same versions. The package itself goes in editable.
$(VENV)/.installed: $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.lock
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python scripts/demo.py --out $(DEMO_DIR)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# the slow run also checks the Spark engine: PySpark from its own lock (big: kept out of `make test`)
$(VENV)/.installed-spark: $(VENV)/.installed-dev requirements-spark.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock
	touch $@

test-slow: $(VENV)/.installed-spark
	$(BIN)/python -m pytest -m slow

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/generate.py

# Re-resolve the pinned versions (needs uv in .venv): the dev lock first, then the runtime lock
# constrained to the dev lock's versions, so both install the same numpy, pandas, LightGBM, MLflow.
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --extra postgres --python-version 3.11 -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml -c requirements-dev.lock --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --extra postgres --extra spark -c requirements-dev.lock --python-version 3.11 -o requirements-spark.lock

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
