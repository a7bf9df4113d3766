# The two commands of the README: `make run` and `make test`. Each sets up .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup clean

setup: $(STAMP)

# Pinned packages (torch 2.13.0 among them); re-installs when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

# The default pipeline on the built-in synthetic data; ends with results/report.html.
run: $(STAMP)
	$(BIN)/snakemake --cores all

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf results resources .snakemake
