# Two commands do all set-up on a fresh machine (Python >= 3.11, make, the package registries):
#   make demo   - create .venv, install the locked set and formcheck, analyse the bundled sample clip (offline)
#   make test   - install the locked dev set and run the test suite
# Both install exactly requirements/run.txt or requirements/dev.txt (pinned, hashed, one set for
# Python 3.11-3.13, the set the whole suite passed with). `make lock` re-resolves them;
# `make test-latest` runs the suite against the newest versions pyproject.toml's ranges allow.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
DEMO_CLIP ?= sample_videos/runner_side_forward_head.mp4
DEMO_OUT  ?= demo_output

LOCK_FLAGS := --universal --fork-strategy fewest --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

.PHONY: demo test test-fast test-latest lock bench lint typecheck model-check samples clean system-deps

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "formcheck needs Python >= 3.11"' \
		|| { echo "error: $(PYTHON) is older than 3.11; run 'make PYTHON=python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml requirements/run.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements/run.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: $(PY) pyproject.toml requirements/dev.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed

# Re-resolve the lock from pyproject.toml's ranges (uv's universal resolver, in a venv of its
# own; "fewest" keeps one version of each package for every supported Python).
lock:
	@test -x .venv-lock/bin/uv || { $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet uv; }
	.venv-lock/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/run.txt
	.venv-lock/bin/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements/dev.txt

# The suite against the newest versions the ranges allow, in a venv of its own, rebuilt each time:
# drift in a new wheel is seen here before a user sees it.
test-latest: system-deps
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev]"
	.venv-latest/bin/python -m pip list --format=freeze | grep -i -E '^(mediapipe|numpy|opencv|av|scipy|pandas|pydantic)=='
	.venv-latest/bin/python -m pytest

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
	rm -rf $(DEMO_OUT) formcheck_output .pytest_cache .mypy_cache .ruff_cache .venv-latest .venv-lock
