# Lotse — two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
# 2 cores here; xdist spreads the suite over them.
XDIST  ?= auto
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-m "not postgres"'.
PYTEST_ARGS ?=
# Modules for make mutation (scripts/mutation lists them); empty = all.
MODULES ?=
# Without DJANGO_DEBUG=true Lotse runs as production and wants production's settings
# (docs/deploy.md); the development targets say which mode they mean.
DEV    := LOTSE_ENVIRONMENT=development
# The address in e-mail links of `make run` follows HOST and PORT (make run PORT=8101).
LOTSE_SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run prod serve test test-fast lint typecheck format bench messages demo install clean browser totp lock mutation

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml scripts/find-python
	@PYTHON=$$(scripts/find-python) || exit 1; \
	  echo "Using $$PYTHON"; \
	  [ -x $(PY) ] || $$PYTHON -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import django, allauth, weasyprint, playwright' || { echo 'Installing the pinned dependencies failed (see above).'; exit 1; }
	@touch $@

# A worktree whose node_modules is a symlink to a shared folder installs beside it and copies
# in: `npm ci` would empty the shared folder first (every other checkout loses its static files).
node_modules/.installed: package.json package-lock.json
	@if [ -L node_modules ]; then \
	  tmp=$$(mktemp -d) && cp package.json package-lock.json "$$tmp"/ && \
	  (cd "$$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && \
	  cp -a "$$tmp"/node_modules/. node_modules/ && rm -rf "$$tmp"; \
	else npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; fi
	@touch $@

# Debian's chromium for the Playwright journeys; never a downloaded browser build.
# In CI (CI=true) a missing browser is an error: the browser tests must run there.
browser:
	@[ -x /usr/bin/chromium ] || { echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || { echo "WARNING: could not install chromium; browser tests will be skipped"; \
	       [ "$${CI:-}" != "true" ] || exit 1; }; }

messages: install
	cd lotse && $(DEV) ../$(PY) ../manage.py compilemessages -v 0

demo: install messages
	DJANGO_DEBUG=true $(MANAGE) migrate --noinput -v 0
	DJANGO_DEBUG=true $(MANAGE) demo_load

# Development: DEBUG on, Django's development server, e-mails on the console; the task worker
# and the scheduler run beside it as in production.
run: demo
	@echo "Lotse runs on http://$(HOST):$(PORT)/ (logins: see README). Ctrl-C stops it."
	@export DJANGO_DEBUG=true LOTSE_SITE_URL="$(LOTSE_SITE_URL)"; \
	  $(MANAGE) worker & worker=$$!; \
	  $(MANAGE) scheduler & scheduler=$$!; \
	  trap "kill $$worker $$scheduler 2>/dev/null" EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

# Production on this host: production dependencies only, migrations, collectstatic, then
# gunicorn + task worker + scheduler from the environment (docs/deploy.md, scripts/prod).
prod: $(VENV)/.installed-prod node_modules/.installed
	@HOST=$(HOST) PORT=$(PORT) scripts/prod

$(VENV)/.installed-prod: requirements-prod.lock scripts/find-python
	@PYTHON=$$(scripts/find-python) || exit 1; \
	  [ -x $(PY) ] || $$PYTHON -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-prod.lock 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c 'import django, gunicorn, whitenoise, redis' || { echo 'Installing the production dependencies failed (see above).'; exit 1; }
	@touch $@

test: install messages browser
	$(VENV)/bin/pytest -n $(XDIST) --dist loadgroup -q $(PYTEST_ARGS)

test-fast: install messages
	$(VENV)/bin/pytest -n $(XDIST) --dist loadgroup -q -m "not browser"

# Mutation testing (mutmut) of the security- and money-critical modules, each against the tests
# that cover it; low priority, one mutant at a time. make mutation MODULES="exports middleware";
# part of a module: make mutation MODULES=applications FUNCTIONS="offer_accept offer_decline"
mutation: install messages
	MODULES="$(MODULES)" FUNCTIONS="$(FUNCTIONS)" MUTANTS="$(MUTANTS)" scripts/mutation

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs over the engine and every services/selectors module; CI runs it.
# Other modules are read for their types but not reported (docs/architecture.md).
TYPED  := lotse/matching $(wildcard lotse/*/services*.py) $(wildcard lotse/*/selectors*.py)
typecheck: install
	$(DEV) $(VENV)/bin/mypy --follow-imports=silent $(TYPED)

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(DEV) $(PY) bench/search.py
	$(DEV) $(PY) bench/allocation.py
	$(DEV) $(PY) bench/round.py
	$(DEV) $(PY) bench/planning.py

# The current two-factor code of a demo staff user: make totp EMAIL=planer@lotse.example
totp: install
	@DJANGO_DEBUG=true $(MANAGE) demo_totp $(EMAIL)

# Re-pin both locks after changing pyproject.toml: the development lock (everything, tests
# included) and the production lock (what `make prod` installs: no test tools).
lock: install
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 -o requirements-prod.lock

clean:
	rm -rf $(VENV) node_modules db.sqlite3* media/ staticfiles/ .dev-secret-key
