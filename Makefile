# `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install chromium migrate data model lint bench mutation clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch first, so that no dependency pulls a CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/hotline migrate

data: migrate
	$(BIN)/hotline load-data

model: install
	$(BIN)/hotline classify ensure-model

# the server starts at once: the first model (the TF-IDF baseline, seconds) and then the
# fine-tuned transformer are trained in a background process and served as they are ready
run: data
	$(BIN)/hotline classify ensure-model --no-wait
	@echo "Hotline 1022 on http://$(HOST):$(PORT)  (staff: /staff, API docs: /docs)"
	$(BIN)/hotline serve --host $(HOST) --port $(PORT)

chromium:
	@test -x /usr/bin/chromium || (command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		(sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null)) || \
		echo "chromium could not be installed: browser tests will say so"

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/mypy core tickets intake routing api web notify classify httpbase places dashboard staff open311
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy core tickets intake routing api web notify classify httpbase places dashboard staff open311
	$(BIN)/lint-imports

# mutation testing of the modules that carry residents' promises (docs/testing.md); long, and not
# part of `make test`. MODULES=tickets/sweeps.py limits it to some modules.
mutation: install
	$(BIN)/python tools/mutation.py $(MODULES)

bench: install
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) var .pytest_cache
