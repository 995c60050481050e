# Kangaroo Paw — the two set-up commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP_BASE := $(VENV)/.installed-base
STAMP_DEV := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test test-quick lint services-up services-down bench clean chromium

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_BASE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev,services,sim]"
	touch $@ $(STAMP_BASE)

## run: install the base package and serve the embedded kitchen on http://127.0.0.1:8080
run: $(STAMP_BASE)
	@url="http://$${KP_HOST:-127.0.0.1}:$${KP_PORT:-8080}"; \
	echo "Kitchen screens: $$url/screens/ (station: $$url/screens/station?counter=griller," \
	"expo: $$url/screens/expo, manager: $$url/screens/manager; API docs: $$url/docs)"
	$(VENV)/bin/kangaroo-paw serve

## test: install everything, start the real services, run every check and the whole suite
test: $(STAMP_DEV) chromium
	KP_PYTHON=$(abspath $(PY)) scripts/services up
	@trap 'KP_PYTHON=$(abspath $(PY)) scripts/services down' EXIT; \
	$(MAKE) --no-print-directory lint && \
	KP_REQUIRE_SERVICES=1 HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

## test-quick: the suite against whatever services already run (absent ones are skipped)
test-quick: $(STAMP_DEV)
	$(PY) -m pytest -q $(PYTEST_ARGS)

## chromium: Debian's browser for the browser tests (Playwright launches it; it never downloads one)
chromium:
	@test -x /usr/bin/chromium || { \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends chromium; }

lint: $(STAMP_DEV)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy src
	$(VENV)/bin/lint-imports

services-up: $(STAMP_DEV)
	KP_PYTHON=$(abspath $(PY)) scripts/services up

services-down:
	KP_PYTHON=$(abspath $(PY)) scripts/services down

bench: $(STAMP_DEV)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis var
