# The few commands people need. Everything installs itself: `make run` on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The Matrix bridge has its own environment: matrix-nio needs newer aiohttp than Rasa pins.
MATRIX_VENV := .venv-matrix
MATRIX_INSTALLED := $(MATRIX_VENV)/.installed
# The staff console has its own environment too: Starlette, uvicorn and their security
# libraries need newer versions than Rasa's pins allow (see requirements-console.txt).
CONSOLE_VENV := .venv-console
CONSOLE_INSTALLED := $(CONSOLE_VENV)/.installed
# The linter of `make check` (requirements-check.txt).
CHECK_VENV := .venv-check
CHECK_INSTALLED := $(CHECK_VENV)/.installed
CONSOLE_PACKAGES := starlette uvicorn jinja2 python-multipart itsdangerous asgi-csrf argon2-cffi openpyxl pyyaml \
	sqlalchemy==1.4.54 alembic==1.17.2 pydantic==1.10.9 psycopg2-binary==2.9.13
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
# TensorFlow (imported by Rasa and spaCy) otherwise fills the screen with start-up notes.
export TF_CPP_MIN_LOG_LEVEL := 2
# Deprecation notices of Rasa's dependencies are not for the people running the bot.
export PYTHONWARNINGS ?= ignore

.PHONY: run prod shell test test-images check train pipeline install lock lock-matrix matrix console lock-console clean help image image-bot image-bridge image-console

help:
	@echo "make run    - installieren, trainieren (nur bei Änderungen) und starten"
	@echo "make prod   - Produktivbetrieb: mehrere Rasa-Instanzen hinter nginx (Port 5005, ASSKOMM_PROD_*)"
	@echo "make shell  - im Terminal mit dem Bot sprechen (make shell DEBUG=1: mit Analyse)"
	@echo "make test   - installieren und alle Tests ausführen"
	@echo "make check  - schnelle Prüfung beim Entwickeln: ruff und die Tests ohne Modell und Dienste (< 2 min)"
	@echo "make train  - nur trainieren (falls nötig)"
	@echo "make matrix - Matrix-Brücke starten (ASSKOMM_MATRIX_* setzen, Bot läuft mit make run)"
	@echo "make console - Mitarbeiter-Konsole starten (http://localhost:8081, ASSKOMM_CONSOLE_PORT)"
	@echo "make image  - Container-Images bauen: Bot, Matrix-Brücke, Konsole (podman; IMAGE=…, IMAGE_BRIDGE=…, IMAGE_CONSOLE=…, BASE_IMAGE=…)"
	@echo "make clean  - .venv, Modelle und var/ löschen"

$(INSTALLED): requirements.txt requirements-test.txt scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Lege .venv mit $$py an ..."; $$py -m venv $(VENV) || exit 1; fi
	@echo "Installiere Abhängigkeiten aus requirements.txt und requirements-test.txt (beim ersten Mal einige Minuten) ..."
	@$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt -r requirements-test.txt
	@touch $@

$(MATRIX_INSTALLED): requirements-matrix.txt scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(MATRIX_VENV)/bin/python ]; then echo "Lege $(MATRIX_VENV) mit $$py an ..."; $$py -m venv $(MATRIX_VENV) || exit 1; fi
	@echo "Installiere die Matrix-Brücke aus requirements-matrix.txt ..."
	@$(MATRIX_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-matrix.txt
	@touch $@

$(CONSOLE_INSTALLED): requirements-console.txt scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(CONSOLE_VENV)/bin/python ]; then echo "Lege $(CONSOLE_VENV) mit $$py an ..."; $$py -m venv $(CONSOLE_VENV) || exit 1; fi
	@echo "Installiere die Konsole aus requirements-console.txt ..."
	@$(CONSOLE_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-console.txt
	@touch $@

$(CHECK_INSTALLED): requirements-check.txt scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(CHECK_VENV)/bin/python ]; then $$py -m venv $(CHECK_VENV) || exit 1; fi
	@$(CHECK_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar off -q -r requirements-check.txt
	@touch $@

# Debian's Chromium for the widget's browser tests (Playwright drives it; never `playwright install`).
$(CHROMIUM):
	@echo "Installiere Chromium für die Browser-Tests des Widgets ..."
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

# Debian's nginx: in front of the replicas of `make prod`, and to check deploy/nginx/asskomm.conf.
$(NGINX):
	@echo "Installiere nginx (Debian-Paket nginx-light) ..."
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; fi

# Container images (docker format, OCI has no HEALTHCHECK): the bot (Containerfile: Rasa with the
# trained model, action server, migration), the Matrix bridge (Containerfile.bridge) and the staff
# console (Containerfile.console). The base is the official python:3.10-slim; where no registry
# answers, make-base.sh makes a stand-in from Debian's mirror and the local Python.
IMAGE ?= localhost/asskomm-bot:dev
IMAGE_BRIDGE ?= localhost/asskomm-matrix-bridge:dev
IMAGE_CONSOLE ?= localhost/asskomm-console:dev
BASE_IMAGE ?= docker.io/library/python:3.10-slim
LOCAL_BASE_IMAGE := localhost/python:3.10-slim-local
# The host's CA bundle lets pip in the build trust a TLS-inspecting proxy (build secret only).
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
PODMAN_ENV := CONTAINERS_CONF=$(CURDIR)/deploy/container/containers.conf
PODMAN := $(PODMAN_ENV) podman
PODMAN_TOOLS := /usr/bin/podman /usr/bin/buildah /usr/sbin/debootstrap /usr/sbin/runc

$(PODMAN_TOOLS):
	@echo "Installiere podman, buildah, debootstrap und runc ..."
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap runc; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap runc; fi

# Shell for a recipe: sets $base (BASE_IMAGE, or the local stand-in, made once) and $secret.
RESOLVE_BASE = base=$(BASE_IMAGE); \
	if ! $(PODMAN) image exists $$base && ! $(PODMAN) pull -q $$base >/dev/null; then \
	  echo "$$base nicht erreichbar: verwende $(LOCAL_BASE_IMAGE)"; base=$(LOCAL_BASE_IMAGE); \
	  $(PODMAN) image exists $$base || $(PODMAN_ENV) deploy/container/make-base.sh $$base || exit 1; \
	fi; \
	secret=; [ -f "$(CA_BUNDLE)" ] && secret="--secret id=ca-certificates,src=$(CA_BUNDLE)"
# $(call BUILD,Containerfile,image name): builds on $base and reports the size.
BUILD = $(PODMAN) build --format docker -f $(1) --build-arg BASE=$$base $$secret -t $(2) . && \
	echo "Image $(2): $$($(PODMAN) image inspect --format '{{.Size}}' $(2) | numfmt --to=iec)"

image: train $(PODMAN_TOOLS)
	@$(RESOLVE_BASE); \
	$(call BUILD,Containerfile,$(IMAGE)) && \
	$(call BUILD,Containerfile.bridge,$(IMAGE_BRIDGE)) && \
	$(call BUILD,Containerfile.console,$(IMAGE_CONSOLE))

# One image alone; the bridge and the console need no trained model.
image-bot: train $(PODMAN_TOOLS)
	@$(RESOLVE_BASE); $(call BUILD,Containerfile,$(IMAGE))

image-bridge: $(PODMAN_TOOLS)
	@$(RESOLVE_BASE); $(call BUILD,Containerfile.bridge,$(IMAGE_BRIDGE))

image-console: $(PODMAN_TOOLS)
	@$(RESOLVE_BASE); $(call BUILD,Containerfile.console,$(IMAGE_CONSOLE))

install: $(INSTALLED)

pipeline: $(INSTALLED)
	@$(PY) -m bot.nlp build

train: pipeline
	@$(PY) -m bot train

run: pipeline
	@$(PY) -m bot run

# PostgreSQL, Redis and RabbitMQ must run (see README.md "Produktivbetrieb auf einem Server").
prod: pipeline $(NGINX)
	@$(PY) -m bot prod

shell: pipeline
	@$(PY) -m bot shell $(if $(DEBUG),--debug)

matrix: $(MATRIX_INSTALLED)
	@PYTHONPATH=$(CURDIR) $(MATRIX_VENV)/bin/python -m bot.matrix_bridge

console: $(CONSOLE_INSTALLED)
	@PYTHONPATH=$(CURDIR) $(CONSOLE_VENV)/bin/python -m bot.console

test: pipeline $(MATRIX_INSTALLED) $(CONSOLE_INSTALLED) $(CHROMIUM) $(NGINX)
	@$(PY) -m bot train
	@$(PY) -m pytest -m "not images"

# The container image built and run under podman kube play (issue 15); CI runs it after `make test`.
test-images: pipeline
	@$(PY) -m bot train
	@$(PY) -m pytest -m images

# The developer loop: lint, then the tests that need neither the trained model nor a service
# (tests/conftest.py marks the others `integration`). `make test` stays the full suite.
check: $(INSTALLED) $(CHECK_INSTALLED)
	@$(CHECK_VENV)/bin/ruff check .
	@$(PY) -m pytest -q -m "not integration"

# Regenerate the runtime lock (requirements.in) and the test tools' lock (requirements-test.in)
# in a throwaway environment.
lock:
	@py=$$(scripts/find-python310.sh) || exit 1; tmp=$$(mktemp -d); \
	$$py -m venv $$tmp && $$tmp/bin/pip install -q -r requirements.in && \
	{ echo "# Runtime lock of requirements.in, made by \`make lock\` (pip freeze on Python 3.10). Edit requirements.in, not this file."; \
	  echo "# The container image installs this file only; the test tools are in requirements-test.txt."; \
	  $$tmp/bin/pip freeze; } > requirements.txt && \
	$$tmp/bin/pip freeze > $$tmp/runtime.txt && $$tmp/bin/pip install -q -r requirements-test.in && \
	{ echo "# Test tools on top of requirements.txt (requirements-test.in), made by \`make lock\`: what a pip freeze adds"; \
	  echo "# to the runtime lock. Installed into .venv by \`make install\`, never into the container image."; \
	  $$tmp/bin/pip freeze | grep -vxFf $$tmp/runtime.txt; } > requirements-test.txt; rm -rf $$tmp

lock-matrix:
	@py=$$(scripts/find-python310.sh) || exit 1; tmp=$$(mktemp -d); \
	$$py -m venv $$tmp && $$tmp/bin/pip install -q -r requirements-matrix.in matrix-synapse && \
	{ echo "# Full lock for .venv-matrix (bridge: requirements-matrix.in; tests: matrix-synapse), made by \`make lock-matrix\`."; \
	  $$tmp/bin/pip freeze; } > requirements-matrix.txt; rm -rf $$tmp

lock-console:
	@py=$$(scripts/find-python310.sh) || exit 1; tmp=$$(mktemp -d); \
	$$py -m venv $$tmp && $$tmp/bin/pip install -q $(CONSOLE_PACKAGES) && \
	{ echo "# Full lock for .venv-console (staff console, python -m bot.console), made by \`make lock-console\`."; \
	  echo "# Direct: $(CONSOLE_PACKAGES)"; \
	  $$tmp/bin/pip freeze; } > requirements-console.txt; rm -rf $$tmp

clean:
	rm -rf $(VENV) $(MATRIX_VENV) $(CONSOLE_VENV) $(CHECK_VENV) models var
