"""Shared fixtures, and markers by folder: tests/workflow runs Snakemake, tests/system needs
system packages (SLURM, a browser) as well. `pytest -m "not workflow"` leaves both out."""

from pathlib import Path

import pytest

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

TESTS = Path(__file__).resolve().parent
FOLDER_MARKERS = {"workflow": ("workflow",), "system": ("workflow", "system")}


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(item.fspath).resolve().relative_to(TESTS).parts[0]
        for marker in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def finished_tiny_run(tmp_path_factory):
    """A finished default-target run of the tiny config (shared by the workflow tests)."""
    workdir = tmp_path_factory.mktemp("tiny_run")
    write_config(workdir, TINY_CONFIG)
    run_snakemake(workdir, "--cores", "2")
    return workdir
