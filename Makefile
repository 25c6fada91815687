# Two commands do all set-up on a fresh machine (Python >= 3.11, make, the package registries):
#   make demo   - create .venv, install formcheck, analyse the bundled sample clip (offline)
#   make test   - install the dev extras and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
DEMO_CLIP ?= sample_videos/runner_side_forward_head.mp4
DEMO_OUT  ?= demo_output

.PHONY: demo test test-fast bench lint typecheck model-check samples clean system-deps

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "formcheck needs Python >= 3.11"' \
		|| { echo "error: $(PYTHON) is older than 3.11; run 'make PYTHON=python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/formcheck analyze $(DEMO_CLIP) --out $(DEMO_OUT)
	@echo "Open $(DEMO_OUT)/report.png (summary), $(DEMO_OUT)/report.pdf, $(DEMO_OUT)/annotated.mp4"

# Real components the tests start: Debian's chromium driven through chromium-driver (the web
# app's browser tests) and a throw-away PostgreSQL server (the session library on a server
# database). Installed here when missing (CI is a fresh Debian with root); elsewhere install
# them yourself (the tests that need them say so and skip).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing$$missing for the tests"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note:$$missing missing and not installable here: the tests that need them will skip"; fi

test: $(VENV)/.dev-installed system-deps
	$(PY) -m pytest

test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest -m "not slow"

bench: $(VENV)/.dev-installed
	$(PY) benchmarks/run.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check formcheck tests models benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

model-check: $(VENV)/.installed
	$(PY) models/build_model.py --check

samples: $(VENV)/.installed
	$(BIN)/formcheck samples sample_videos

clean:
	rm -rf $(DEMO_OUT) formcheck_output .pytest_cache .mypy_cache .ruff_cache
