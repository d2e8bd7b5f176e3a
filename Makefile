# 绩效通 — the whole set-up is `make run` (use it) and `make test` (check it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test install install-test assets fonts migrate seed lint bench clean

run: install assets fonts migrate seed ## install, migrate, seed the demo city if empty, serve web + worker + beat
	@scripts/run_all.sh

test: install-test assets fonts ## install what the tests need and run them all
	$(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.runtime: $(VENV)/bin/activate requirements.txt
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.txt
	$(PIP) install -q -r requirements-test.txt
	@touch $@

install: $(VENV)/.runtime
install-test: $(VENV)/.test

# Bootstrap, bootstrap-icons, htmx 2, ECharts and SortableJS from the npm registry, served locally.
static/vendor/.installed: package.json package-lock.json scripts/vendor_assets.sh
	npm ci --no-audit --no-fund --loglevel=error
	scripts/vendor_assets.sh
	@touch $@

assets: static/vendor/.installed

fonts: ## PDFs in Chinese need a CJK font
	@scripts/ensure_cjk_font.sh

migrate: install
	$(PY) manage.py migrate --noinput -v0

seed: migrate
	$(PY) manage.py seed_demo --if-empty

lint: install-test
	$(VENV)/bin/ruff check .

bench: install-test ## city-scale data + p50/p95 of the list page and API (see bench/README.md)
	$(PY) bench/generate.py && $(PY) bench/measure.py

clean:
	rm -rf $(VENV) node_modules static/vendor var/staticfiles
