# Two commands do everything on a fresh machine with Python 3.11+ and git:
#   make demo   - create .venv, install bd, run the main workflow in a scratch git repo
#   make test   - create the environment if needed and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MCP_VENV := .venv-beads-mcp

.PHONY: demo test bench lint clean venv browser-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,mcp,trackers,ai]' --config-settings editable_mode=compat
	$(BIN)/python -m compileall -q bd
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# make lint's checks run first: ruff, mypy and the layer contracts (import-linter).
test: $(STAMP) $(MCP_VENV) browser-deps
	$(BIN)/ruff check bd tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The browser tests (tests/browser) drive Debian's chromium through chromium-driver, and the
# graph tests render DOT with graphviz. Best effort but loud: when one is missing and we are
# root (CI is), apt-get installs it; otherwise this says what is missing, and those tests then
# fail under CI (CI set) and skip elsewhere. No browser is ever downloaded by a test tool.
BROWSER_PKGS = chromium:chromium chromedriver:chromium-driver dot:graphviz
browser-deps:
	@missing=""; for pair in $(BROWSER_PKGS); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "make test: installing$$missing with apt-get (browser and graph tests)"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				$$missing >/dev/null; } \
			|| echo "WARNING: apt-get could not install$$missing: tests/browser and the" \
				"graphviz tests will fail under CI and skip elsewhere"; \
		else \
			echo "WARNING: missing$$missing (not root, or no apt-get): install them to run" \
				"tests/browser and the graphviz tests (they fail under CI, skip elsewhere)"; \
		fi; \
	fi

# beads-mcp 0.46.0, the official MCP server, drives bd in tests/cli/test_beads_mcp.py. It gets
# its own venv: its pins conflict with ours, and a plain install pulls an mcp release its
# pinned fastmcp cannot import (hence mcp==1.25.0). Best effort: when it cannot be installed
# (offline, say) make test goes on and that test skips, saying how to install it.
$(MCP_VENV):
	-@$(PYTHON) -m venv $(MCP_VENV) && $(MCP_VENV)/bin/python -m pip install --quiet \
		--retries 1 --timeout 20 beads-mcp==0.46.0 mcp==1.25.0 \
		|| { rm -rf $(MCP_VENV); echo "note: beads-mcp 0.46.0 could not be installed;" \
		     "tests/cli/test_beads_mcp.py will be skipped"; }

# make bench ARGS="--sizes 100000 --runs 3": any option of bench/run.py
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bd tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(MCP_VENV) build *.egg-info .pytest_cache .hypothesis
