# Collect: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test test-smoke install install-test system-test-deps translations lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/test.txt requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed translations

install-test: $(VENV)/.test-installed system-test-deps translations

translations: | $(PY)
	$(PY) manage.py compile_translations

# Debian's Chromium for the browser journeys (Playwright cannot download its own browser here).
system-test-deps:
	@scripts/ensure-system-packages chromium

run: install
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	@echo ""
	@echo "Collect is starting at http://localhost:$(PORT)/  (web, Celery worker and beat; Ctrl+C stops all)"
	@echo ""
	DEBUG=true PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile.dev -p $(PORT)

test: install-test
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick subset; CI also runs it on the embedded SQLite default.
test-smoke: install-test
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) staticfiles
