"""Shared fixtures, and markers by folder: tests/workflow runs Snakemake, tests/system needs
system packages (SLURM, a browser) as well. `pytest -m "not workflow"` leaves both out, and a test
without the `workflow` marker that tries to start Snakemake fails (helpers.workflow refuses).
Tests marked `gpu` are skipped without a CUDA device."""

from pathlib import Path

import pytest

from helpers import workflow
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

TESTS = Path(__file__).resolve().parent
FOLDER_MARKERS = {"workflow": ("workflow",), "system": ("workflow", "system")}


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(item.fspath).resolve().relative_to(TESTS).parts[0]
        for marker in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(marker)
    if any(item.get_closest_marker("gpu") for item in items):
        import torch  # only when a GPU test was collected: torch takes a while to import

        if not torch.cuda.is_available():
            skip = pytest.mark.skip(reason="needs a CUDA device")
            for item in items:
                if item.get_closest_marker("gpu"):
                    item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Record the test's markers before any of its fixtures runs: a session fixture that starts
    Snakemake is set up inside the first test that asks for it, and counts as part of that test."""
    workflow.current_test = {
        "name": item.nodeid,
        "markers": {marker.name for marker in item.iter_markers()},
    }


@pytest.fixture(scope="session")
def finished_tiny_run(tmp_path_factory):
    """A finished default-target run of the tiny config (shared by the workflow tests)."""
    workdir = tmp_path_factory.mktemp("tiny_run")
    write_config(workdir, TINY_CONFIG)
    run_snakemake(workdir, "--cores", "2")
    return workdir
