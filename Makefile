# Two commands do everything on a fresh machine with Python 3.11+ and git:
#   make demo   - create .venv, install bd, run the main workflow in a scratch git repo
#   make test   - create the environment if needed and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MCP_VENV := .venv-beads-mcp

.PHONY: demo test bench lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,mcp,trackers]' --config-settings editable_mode=compat
	$(BIN)/python -m compileall -q bd
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# make lint's checks run first: ruff, mypy and the layer contracts (import-linter).
test: $(STAMP) $(MCP_VENV)
	$(BIN)/ruff check bd tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# beads-mcp 0.46.0, the official MCP server, drives bd in tests/cli/test_beads_mcp.py. It gets
# its own venv: its pins conflict with ours, and a plain install pulls an mcp release its
# pinned fastmcp cannot import (hence mcp==1.25.0). Best effort: when it cannot be installed
# (offline, say) make test goes on and that test skips, saying how to install it.
$(MCP_VENV):
	-@$(PYTHON) -m venv $(MCP_VENV) && $(MCP_VENV)/bin/python -m pip install --quiet \
		--retries 1 --timeout 20 beads-mcp==0.46.0 mcp==1.25.0 \
		|| { rm -rf $(MCP_VENV); echo "note: beads-mcp 0.46.0 could not be installed;" \
		     "tests/cli/test_beads_mcp.py will be skipped"; }

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check bd tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(MCP_VENV) build *.egg-info .pytest_cache .hypothesis
