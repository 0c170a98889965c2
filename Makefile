# The README's two commands: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# PostgreSQL for the second pass of `make test` (CI starts it; override for your own server).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# Each pass runs under a host time zone far from the clinic's (America/New_York): the tests run on the clinic
# clock (tests/conftest.py, clinic_clock), so the host's zone and hour must not matter. UTC+14 and UTC-10.
SQLITE_TEST_TZ ?= Pacific/Kiritimati
POSTGRES_TEST_TZ ?= America/Adak

.PHONY: demo test test-sqlite test-postgres lint chromium benchmark mutation screenshots clean

$(BIN)/ketamine-clinic: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Start the demo clinic on embedded SQLite at http://127.0.0.1:8000 (seeding is idempotent).
demo: $(BIN)/ketamine-clinic
	$(BIN)/ketamine-clinic demo

## Run the whole suite on SQLite, then again on PostgreSQL.
test: $(BIN)/ketamine-clinic chromium
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite: $(BIN)/ketamine-clinic
	@echo "== test suite on SQLite (host TZ=$(SQLITE_TEST_TZ)) =="
	env -u DATABASE_URL TZ=$(SQLITE_TEST_TZ) $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: $(BIN)/ketamine-clinic
	@echo "== test suite on PostgreSQL ($(TEST_DATABASE_URL), host TZ=$(POSTGRES_TEST_TZ)) =="
	DATABASE_URL=$(TEST_DATABASE_URL) TZ=$(POSTGRES_TEST_TZ) $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

## ruff, and the layers of docs/architecture.md (import-linter contracts in pyproject.toml).
lint: $(BIN)/ketamine-clinic
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

## Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium"; exit 1; fi; }

benchmark: $(BIN)/ketamine-clinic
	$(BIN)/python benchmarks/pharmacology.py

## Mutation testing of the safety rules (docs/mutation.md), on demand only: not part of `make test` or CI.
## One module at a time: make mutation MUTANTS='ketamine_clinic.core.protocols*'
MUTANTS ?=
MUTATION_CHILDREN ?= 2
MUTATION_TIMEOUT ?= 3600
## Hypothesis examples per property test for each mutant (tests/core/conftest.py); empty = each test's own count.
MUTATION_MAX_EXAMPLES ?= 20
mutation: $(BIN)/ketamine-clinic
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	env -u DATABASE_URL KETAMINE_MUTATION_MAX_EXAMPLES=$(MUTATION_MAX_EXAMPLES) timeout $(MUTATION_TIMEOUT) $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(BIN)/mutmut results

## The README's pictures of the flowsheet at tablet and desktop sizes (docs/screenshots/), from the browser test.
screenshots: $(BIN)/ketamine-clinic chromium
	env -u DATABASE_URL SCREENSHOTS=docs/screenshots $(BIN)/pytest -p no:cacheprovider -q tests/browser/test_flowsheet_tablet.py -k first_screen

clean:
	rm -rf $(VENV) var
