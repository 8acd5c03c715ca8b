# Two entry points for a fresh Debian machine (run as root, or with sudo available):
#   make demo   set everything up, check and build the sample corpus into output/
#   make test   set everything up and run the whole test suite
#   make serve  set up, import the sample registry's accounts (demo password) and serve the web workspace
# All are idempotent and quick once set up.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-arphic-ukai \
	poppler-utils qpdf fontconfig libreoffice-writer-nogui libreoffice-draw-nogui chromium postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test serve setup system-deps bench clean
DEMO_PASSWORD := demo-password-2022

demo: setup
	$(BIN)/reportgen check --no-source; status=$$?; [ $$status -le 1 ] || exit $$status
	$(BIN)/reportgen build

test: setup
	$(BIN)/python -m pytest -q

serve: setup
	$(BIN)/reportgen users import --password $(DEMO_PASSWORD) >/dev/null
	$(BIN)/reportgen users add reviewer --role reviewer --password $(DEMO_PASSWORD) >/dev/null
	$(BIN)/reportgen users add admin --role admin --password $(DEMO_PASSWORD) >/dev/null
	@echo "Accounts: every counselor of reports_src/registry.yaml (e.g. 周文博), reviewer, admin; password: $(DEMO_PASSWORD)"
	$(BIN)/reportgen serve --host 127.0.0.1 --port 8000

bench: setup
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BIN)/python benchmarks/check_1000.py
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/import_30_pages.py

setup: system-deps $(VENV)/.installed
	@# An editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE set every run would compile
	@# reportgen's modules again (a third of a no-change build): compile them here (stale files are ignored).
	@$(BIN)/python -m compileall -q generator

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,distributed]'
	touch $@

clean:
	rm -rf output/20* output/manifest.json .pytest_cache
