# ggen-mcp: `make run` serves on 127.0.0.1:8000, `make test` runs the suite. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# uv lives in the project's venv: `make install` creates .venv with the interpreter's own venv module and puts
# uv into it, never into the system interpreter.
BOOTSTRAP_UV = test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); test -x $(UV) || { $(BIN)/python -m pip --version \
	>/dev/null 2>&1 || $(BIN)/python -m ensurepip -q; $(BIN)/python -m pip install -q uv; }
PACKS := plugins/ggen-graph plugins/ggen-template plugins/ggen-market plugins/ggen-hook plugins/ggen-ai
HOST ?= 127.0.0.1
PORT ?= 8000
# The folder `make run` serves (created when missing): never the checkout itself.
WORKSPACE ?= ./workspace
# Where `make wheels` puts the wheelhouse of every distribution: the host and each plugins/*/ pack.
DIST ?= dist
PYTEST_ARGS ?=
# The suite runs with the server processes (the pytest process, servers it starts, store workers) under a
# 2 GiB address-space limit: the memory bombs in the tests must be refused, not survived on a big machine.
TEST_ADDRESS_SPACE_KB ?= 2097152

.PHONY: install run test proof lint lock conformance bench soak sbom clean wheels

install: $(VENV)/.installed

# Bytecode is written at install time (uv writes none by default, and a process started with
# PYTHONDONTWRITEBYTECODE set would otherwise compile every module it imports on every start: ~0.7 s of CPU
# per `ggen-mcp` start, docs/performance.md).
$(VENV)/.installed: requirements.lock pyproject.toml $(addsuffix /pyproject.toml,$(PACKS))
	@$(BOOTSTRAP_UV)
	$(UV) pip install -q -p $(BIN)/python --compile-bytecode --require-hashes -r requirements.lock
	$(UV) pip install -q -p $(BIN)/python --no-deps -e . $(addprefix -e ,$(PACKS))
	$(BIN)/python -m compileall -q -x '/tests/' ggen_mcp_core $(PACKS)
	@touch $@

run: install
	mkdir -p "$(WORKSPACE)"
	$(BIN)/ggen-mcp serve --transport http --host $(HOST) --port $(PORT) --workspace "$(WORKSPACE)"

# Parallel: TEST_WORKERS pytest-xdist workers, one test file per worker at a time (--dist loadfile keeps a
# file's module-scoped servers in one process); each worker inherits the address-space limit. Coverage of
# the workers and of the servers they start is combined (data files under .cache/coverage), the 20 slowest
# tests and the reason of every skip are printed.
# 3 on this 2-core machine: 4 cost 6-11 % more CPU for the same tests (more processes thrashing two vCPUs' caches),
# 2 left the CPU idle while tests wait on their subprocesses (docs/performance.md, "Test suite, fourth pass").
TEST_WORKERS ?= 3
TEST_COVERAGE_DIR := .cache/coverage
# Every Python process of the suite (workers, `ggen-mcp` subprocesses, store workers) reads and writes its
# bytecode under .cache/pycache, even where PYTHONDONTWRITEBYTECODE is set: compiling the imports from source
# again in each of the hundreds of processes cost about 0.7 s of CPU per process start (docs/performance.md).
TEST_PYCACHE := $(CURDIR)/.cache/pycache

test: install
	rm -rf $(TEST_COVERAGE_DIR) && mkdir -p $(TEST_COVERAGE_DIR)
	ulimit -v $(TEST_ADDRESS_SPACE_KB) && env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(TEST_PYCACHE) \
		GGEN_TEST_ADDRESS_SPACE_KB=$(TEST_ADDRESS_SPACE_KB) $(BIN)/python -m pytest \
		-n $(TEST_WORKERS) --dist loadfile --durations=20 -rs \
		--cov --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

# Generated code from every bundled template pack, built and run by the real toolchains (tsc --strict on
# Node 22, cargo with Debian's serde crates offline, PostgreSQL, mypy --strict): see proof/run.sh.
proof: install
	bash proof/run.sh $(PROOF_ARGS)

lint: install
	$(BIN)/ruff check ggen_mcp_core plugins tests bench examples proof conftest.py
	$(BIN)/ruff format --check ggen_mcp_core plugins tests bench examples proof conftest.py
	$(BIN)/mypy
	cd proof && ../$(BIN)/mypy --strict *.py
	$(BIN)/bandit -q -r ggen_mcp_core plugins -x '*/tests/*,*/bench/*' --severity-level medium

conformance: install
	bash scripts/conformance.sh

# Benchmarks write their tables to stdout (copy them into docs/performance.md with the date and load).
bench: install
	$(BIN)/python bench/graph.py
	$(BIN)/python bench/template.py --classes 1000 --repeat 5
	$(BIN)/python bench/market.py
	$(BIN)/python bench/context_cost.py
	$(BIN)/python bench/load.py --light-client matrix

soak: install
	$(BIN)/python bench/soak.py --light-client

lock:
	@$(BOOTSTRAP_UV)
	$(UV) pip compile -q --universal --generate-hashes --python-version 3.11 --no-header \
		--no-emit-package ggen-mcp $(addprefix --no-emit-package ,$(notdir $(PACKS))) \
		requirements.in -o requirements.lock
	@! grep -nE 'https?://|file:' requirements.lock || (echo "requirements.lock names a URL" >&2; exit 1)
	bash deploy/lock.sh

sbom: install
	bash scripts/sbom.sh

# One wheel per distribution, built offline with the venv's hatchling (no build isolation, no index), by one
# pip process for all of them (a pip start per project cost more than the builds).
wheels: install
	rm -rf "$(DIST)" && mkdir -p "$(DIST)"
	$(BIN)/python -m pip wheel -q --no-deps --no-build-isolation --no-index -w "$(DIST)" . plugins/*/

clean:
	rm -rf $(VENV) $(DIST) build .coverage .node .pytest_cache .cache
