# Collect: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AXE_VERSION := 4.10.3
AXE := .cache/axe/node_modules/axe-core/axe.min.js
PORT ?= 8000
export PORT
# Links in pages and messages (signing links, verification links) point at the port `make run` serves on,
# unless SITE_URL is given in the environment or in .env.
SITE_URL ?= $(or $(shell sed -n 's/^SITE_URL=//p' .env 2>/dev/null | tail -n 1),http://localhost:$(PORT))

.PHONY: run test test-smoke install install-test system-deps system-test-deps translations lint bench load chaos clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/test.txt requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed system-deps translations

install-test: $(VENV)/.test-installed system-deps system-test-deps translations $(AXE)

translations: | $(PY)
	$(PY) manage.py compile_translations

# Pango, HarfBuzz subsetting and real fonts for WeasyPrint (the signed mandate PDF).
system-deps:
	@scripts/ensure-system-packages libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

# Debian's Chromium for the browser journeys (Playwright cannot download its own browser here), and npm for
# axe-core (the accessibility checks of tests/e2e/test_accessibility_journey.py) when no npm is installed.
system-test-deps:
	@scripts/ensure-system-packages chromium
	@command -v npm >/dev/null || scripts/ensure-system-packages npm

# axe-core, injected into pages by tests/e2e/axe.py; kept in .cache/ (not committed).
$(AXE): | system-test-deps
	npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION)

run: install
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true SITE_URL="$(SITE_URL)" $(PY) manage.py seed_demo
	@echo ""
	@echo "Collect is starting at http://localhost:$(PORT)/  (web, Celery worker and beat; Ctrl+C stops all)"
	@echo "Links in messages point at $(SITE_URL)"
	@echo ""
	DEBUG=true SITE_URL="$(SITE_URL)" PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile.dev -p $(PORT)

test: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick subset; CI also runs it on the embedded SQLite default.
test-smoke: install-test
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

# Benchmarks on a large generated tenant (200k customers, 1M invoices) in PostgreSQL; report in bench-results/.
# BENCH_DATABASE_URL picks the database (created if missing), BENCH_REGENERATE=1 rebuilds the data,
# BENCH_ARGS passes options to `manage.py bench` (e.g. BENCH_ARGS="--scenario customers --runs 50").
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/collect_bench
BENCH_SIZES ?= --organizations 10 --customers 200000 --invoices 1000000
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL)

bench: $(VENV)/.test-installed
	$(BENCH_ENV) $(PY) -m devtools.bench.database
	$(BENCH_ENV) $(PY) manage.py migrate --noinput
	$(BENCH_ENV) $(PY) manage.py generate_data $(BENCH_SIZES) $(if $(filter 1,$(BENCH_REGENERATE)),--replace,--if-missing)
	$(BENCH_ENV) $(PY) manage.py bench $(BENCH_ARGS)

# The load test (devtools/load/run.py): gunicorn with production settings (LOAD_WORKERS x LOAD_THREADS, default 3 x 2)
# on 127.0.0.1:LOAD_PORT, a Celery worker and beat, and Locust headless for LOAD_RUN_TIME with LOAD_USERS staff users
# and one API integrator; everything stops by itself. Report per endpoint in bench-results/load.md. The database
# (LOAD_DATABASE_URL, default collect_load) is made afresh for each run as a copy of the bench database (created and
# filled with LOAD_SIZES when missing), so what a run writes (its ticks, messages, API posts) never changes the bench.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/collect_load
LOAD_USERS ?= 50
LOAD_RUN_TIME ?= 3m

load: $(VENV)/.test-installed
	LOAD_DATABASE_URL=$(LOAD_DATABASE_URL) LOAD_COPY_OF=$(BENCH_DATABASE_URL) LOAD_USERS=$(LOAD_USERS) LOAD_RUN_TIME=$(LOAD_RUN_TIME) \
		LOAD_SIZES="$(BENCH_SIZES)" $(PY) -m devtools.load.run

# The chaos run (devtools/chaos.py): CHAOS_MESSAGES due messages delivered by real workers while they are SIGKILLed
# (CHAOS_KILLS), Redis restarts empty and the provider fails 30% of calls; exits non-zero on any duplicate or lost
# message, or when CHAOS_TIME_LIMIT seconds run out. Needs PostgreSQL (its own database collect_chaos, recreated;
# CHAOS_DATABASE_URL) and redis-server (started on port 6390; the machine's Redis is not touched).
CHAOS_MESSAGES ?= 10000

chaos: $(VENV)/.test-installed
	CHAOS_MESSAGES=$(CHAOS_MESSAGES) $(PY) -m devtools.chaos

clean:
	rm -rf $(VENV) staticfiles
