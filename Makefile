# Lotse — two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
# 2 cores here; xdist spreads the suite over them.
XDIST  ?= auto

.PHONY: run serve test test-fast lint typecheck format bench messages demo install clean browser totp

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml scripts/find-python
	@PYTHON=$$(scripts/find-python) || exit 1; \
	  echo "Using $$PYTHON"; \
	  [ -x $(PY) ] || $$PYTHON -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import django, allauth, weasyprint, playwright' || { echo 'Installing the pinned dependencies failed (see above).'; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium for the Playwright journeys; never a downloaded browser build.
browser:
	@[ -x /usr/bin/chromium ] || { echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

messages: install
	cd lotse && ../$(PY) ../manage.py compilemessages -v 0

demo: install messages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) demo_load

run: demo
	@echo "Lotse runs on http://$(HOST):$(PORT)/ (logins: see README). Ctrl-C stops it."
	@$(MANAGE) db_worker & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

test: install messages browser
	$(VENV)/bin/pytest -n $(XDIST) --dist loadgroup -q

test-fast: install messages
	$(VENV)/bin/pytest -n $(XDIST) --dist loadgroup -q -m "not browser"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs; not yet part of CI (see docs/architecture.md).
typecheck: install
	$(VENV)/bin/mypy lotse

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/search.py
	$(PY) bench/allocation.py
	$(PY) bench/round.py
	$(PY) bench/planning.py

# The current two-factor code of a demo staff user: make totp EMAIL=planer@lotse.example
totp: install
	@$(MANAGE) demo_totp $(EMAIL)

clean:
	rm -rf $(VENV) node_modules db.sqlite3* media/ staticfiles/
