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

# Pinned install: the lock holds every transitive version; the package itself goes in editable.
$(VENV)/.installed: $(BIN)/uv requirements.lock pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python scripts/demo.py --out $(DEMO_DIR)

test: $(VENV)/.installed
	$(BIN)/python -m pytest

test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

bench: $(VENV)/.installed
	$(BIN)/python bench/generate.py

# Re-resolve the pinned versions (needs uv in .venv).
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --extra btyd --extra postgres --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
