# Quick start: `make run` (serves the app on http://127.0.0.1:8000 with demo data)
# and `make test` (the whole suite). Both create .venv and install pinned requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint format migrate demo worker beat clean

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

install: $(BIN)/.installed

# Local runs default to DEBUG on (dev secret key, static files from the source tree).
run: export DEBUG ?= true
run: export LOG_FORMAT ?= text
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)  (admin: /admin/, API docs: /api/docs/)"
	$(BIN)/uvicorn foodxchange.asgi:application --host $(HOST) --port $(PORT) --timeout-graceful-shutdown 10

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A foodxchange worker -Q celery,restore --loglevel=INFO

beat: install
	$(BIN)/celery -A foodxchange beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
