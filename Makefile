# qa_app — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-sqlite test-pg lint typecheck messages bench mutation clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "qa_app needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## run: install, migrate, seed the demo episode and serve on http://127.0.0.1:$${QA_PORT:-8000}
run: $(BIN)/.installed
	$(BIN)/qa-app db upgrade
	$(BIN)/qa-app demo seed
	$(BIN)/qa-app run

## test: the whole suite on SQLite and, at the same time, again on PostgreSQL + Redis when they answer
# The two runs share nothing (own database, own key prefix, own ports), so they run side by side: the
# SQLite run prints as it goes, the PostgreSQL + Redis run's output follows when both are done.
test: $(BIN)/.installed
	@mkdir -p var
	@$(MAKE) --no-print-directory test-pg > var/test-pg.log 2>&1 & pg=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo; echo "==================== PostgreSQL + Redis run ===================="; cat var/test-pg.log; \
	echo "SQLite run: exit $$sqlite; PostgreSQL + Redis run: exit $$postgres"; \
	test $$sqlite -eq 0 -a $$postgres -eq 0

test-sqlite: $(BIN)/.installed
	$(BIN)/python -m pytest

test-pg: $(BIN)/.installed
	@if $(BIN)/python -m qa_app.checks postgres "$(PG_TEST_URL)" && $(BIN)/python -m qa_app.checks redis "$(REDIS_TEST_URL)"; then \
		QA_TEST_DATABASE_URL="$(PG_TEST_URL)" QA_TEST_REDIS_URL="$(REDIS_TEST_URL)" $(BIN)/python -m pytest -m "not e2e" --ignore=tests/moderation; \
	else \
		echo "PostgreSQL or Redis not reachable: the PostgreSQL + Redis run is skipped (CI always runs it)."; \
		if [ -n "$$CI" ]; then exit 1; fi; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

## messages: refresh the Vietnamese catalogue after changing UI texts
messages: $(BIN)/.installed
	$(BIN)/python -m qa_app.messages

## mutation: mutmut over moderation/ (against its own tests) and the intake, moderation-action and rundown
## services (hours; not part of `make test`). A sample: make mutation MUTATION_ARGS="--sample 40 --seed 1";
## one module: MUTATION_ARGS="--scope services --only 'qa_app.services.rundown*'" (bench/mutation.py)
MUTATION_ARGS ?=
mutation: $(BIN)/.installed
	$(BIN)/python bench/mutation.py $(MUTATION_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m moderation bench --size 100000

clean:
	rm -rf $(VENV) var mutants .pytest_cache .mypy_cache .ruff_cache
