"""`pytest -m "not workflow"` starts no Snakemake: a test without the marker is refused."""

import pytest

from helpers import workflow
from helpers.workflow import SnakemakeInFastTest, run_snakemake, snakemake_command


def test_a_test_without_the_workflow_marker_cannot_start_snakemake(tmp_path):
    with pytest.raises(SnakemakeInFastTest, match=r"test_markers.py::.* is not marked `workflow`"):
        run_snakemake(tmp_path, "--version")
    assert not list(tmp_path.iterdir())


def test_outside_pytest_and_in_workflow_tests_the_command_is_given(tmp_path, monkeypatch):
    monkeypatch.setattr(workflow, "current_test", None)
    command = snakemake_command(tmp_path, "--dry-run")
    assert command[0].endswith("snakemake") and command[-1] == "--dry-run"
    monkeypatch.setattr(workflow, "current_test", {"name": "t", "markers": {"workflow"}})
    assert snakemake_command(tmp_path) == command[:-1]
