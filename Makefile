# The two commands of the README: `make run` and `make test`. Each sets up .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup test-system test-system-chromium mutation clean

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

# tests/system/test_slurm.py runs the pipeline on a real single-node SLURM: Debian's slurm-wlm and munge.
# Installed once when missing as root (a failed install stops the tests: CI must not pass by
# skipping); a user who is not root gets a note and that test is skipped, saying why.
SLURM_PROGRAMS := slurmctld slurmd munged mungekey sbatch squeue scontrol

test-system:
	@missing=; for program in $(SLURM_PROGRAMS); do \
		PATH="$$PATH:/usr/sbin:/sbin" command -v $$program >/dev/null || missing="$$missing $$program"; \
	done; \
	if [ -z "$$missing" ]; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing slurm-wlm and munge for the SLURM test (missing:$$missing)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends slurm-wlm munge >/dev/null; } \
		|| { echo "ERROR: could not install slurm-wlm and munge (needed by tests/system/test_slurm.py)"; exit 1; }; \
	else \
		echo "NOTE: the SLURM test will be skipped: slurm-wlm and munge are missing and only root"; \
		echo "      can install them here (sudo apt-get install slurm-wlm munge)"; \
	fi

# tests/system/test_report.py opens results/report.html in Debian's headless chromium: installed
# the same way (when missing, as root; a failed install is an error; others get a note and a skip).
test-system: test-system-chromium

test-system-chromium:
	@if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium for the report test (a headless browser)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium >/dev/null; } \
		|| { echo "ERROR: could not install chromium (needed by tests/system/test_report.py)"; exit 1; }; \
	else \
		echo "NOTE: the report's browser test will be skipped: chromium is missing and only root"; \
		echo "      can install it here (sudo apt-get install chromium)"; \
	fi

test: lint test-system
	$(BIN)/pytest -q

# Mutation testing (mutmut) of the pure modules, one module at a time on its own unit tests:
# killed / total per module and every surviving mutant. Minutes per module on 2 cores, so not in
# `make test` or CI. `make mutation MODULES="metrics bootstrap"` runs some (mutation/run.py).
MUTATION_STAMP := $(VENV)/.mutation-installed

$(MUTATION_STAMP): requirements-mutation.txt $(STAMP)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-mutation.txt
	touch $(MUTATION_STAMP)

mutation: $(MUTATION_STAMP)
	$(BIN)/python mutation/run.py $(MODULES)

clean:
	rm -rf results resources .snakemake mutation/work
