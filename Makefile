# hozen: two commands. `make run` starts the platform on SQLite with demo data;
# `make test` runs the whole suite on SQLite and again on PostgreSQL.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEMO_USERS := admin window investigator adjudicator agency approver cso subject liaison expert inspector auditor

.PHONY: run test venv dev system-deps lint i18n

$(BIN)/python:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	uv venv --quiet --python $(PYTHON) $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	uv pip install --quiet -p $(VENV) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	uv pip install --quiet -p $(VENV) -e '.[dev]'
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

run: venv
	HOZEN_ENV=development $(BIN)/hozen db upgrade
	HOZEN_ENV=development $(BIN)/hozen demo load --if-empty
	@echo ""
	@echo "  hozen is starting at http://$(HOST):$(PORT)/"
	@echo "  demo logins (password hozen-demo-2026): $(DEMO_USERS)"
	@echo "  sign-in code (all but subject): HOZEN_ENV=development $(BIN)/hozen demo code USER"
	@echo ""
	HOZEN_ENV=development $(BIN)/hozen serve --host $(HOST) --port $(PORT)

system-deps:
	@scripts/system-deps.sh

test: dev system-deps
	@scripts/test.sh

lint: dev
	$(BIN)/ruff check src tests bench scripts

i18n: dev
	$(BIN)/python scripts/i18n.py
