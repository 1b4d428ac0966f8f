# Two commands do all the set-up: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench chaos clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The local demo: no sign-in (allowed on 127.0.0.1 only), SQLite in ./integrator.db, nothing sent.
# `make run PORT=8123` serves elsewhere; `serve` makes its links follow the port (INTEGRATOR_PUBLIC_URL unset).
PORT ?= 8000
run: $(BIN)/.installed
	@echo "integrator (local demo, dry-run): open http://127.0.0.1:$(PORT)/"
	INTEGRATOR_AUTH__MODE=none INTEGRATOR_DRY_RUN=true \
		$(BIN)/integrator serve --host 127.0.0.1 --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check integrator tests scripts
	$(BIN)/ruff format --check integrator tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# Many more fault schedules than `make test` runs (CHAOS_EXAMPLES there: 8); about a second each.
chaos: $(BIN)/.installed
	CHAOS_EXAMPLES=$${CHAOS_EXAMPLES:-300} $(BIN)/pytest tests/chaos -p no:cacheprovider

bench: $(BIN)/.installed
	$(BIN)/python -m tests.bench.bench_registry
	$(BIN)/python -m tests.bench.bench_time_to_page
	$(BIN)/python -m tests.bench.bench_api
	$(BIN)/python -m tests.bench.bench_sync
	$(BIN)/python -m tests.bench.bench_adversarial
	$(BIN)/python -m tests.bench.bench_burst
	$(BIN)/python -m tests.bench.bench_insights

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis test-artifacts
