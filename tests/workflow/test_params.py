"""What reruns after a finished run when the config changes: nothing when only its key order
changes; for the report, only what it shows (a copy of the shared tiny run is edited)."""

import shutil

import numpy as np
import pytest
import tifffile
import yaml

from helpers.workflow import run_snakemake

REPORT = "results/report.html"


@pytest.fixture
def finished_copy(finished_tiny_run, tmp_path):
    """A copy of the finished tiny run (files, times and Snakemake's records) to edit."""
    workdir = tmp_path / "run"
    shutil.copytree(finished_tiny_run, workdir, symlinks=True)
    return workdir


def reversed_keys(value):
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def read_config(workdir):
    return yaml.safe_load((workdir / "config" / "config.yaml").read_text())


def write_as_given(workdir, config):
    """Write the config with its keys in the order given (not sorted, as a YAML tool might)."""
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def plan(workdir):
    result = run_snakemake(workdir, "--dry-run")
    return result.stdout + result.stderr


def report_plan(workdir):
    """The report's own reason to rerun: upstream jobs are left out of the plan (so their
    reruns, which would rerun the report anyway, do not hide whether its params changed)."""
    result = run_snakemake(workdir, REPORT, "--dry-run", "--allowed-rules", "report")
    return result.stdout + result.stderr


def test_the_finished_copy_is_up_to_date(finished_copy):
    assert "Nothing to be done" in plan(finished_copy)


def test_a_config_with_every_mappings_keys_reversed_reruns_nothing(finished_copy):
    config = read_config(finished_copy)
    reordered = reversed_keys(config)
    assert list(reordered["split"]) == list(reversed(list(config["split"])))
    assert list(reordered["models"]) == list(reversed(list(config["models"])))
    write_as_given(finished_copy, reordered)
    assert "Nothing to be done" in plan(finished_copy)


def test_settings_the_report_does_not_show_do_not_rerun_it(finished_copy):
    (finished_copy / "scan").mkdir()
    for z in range(3):
        tifffile.imwrite(finished_copy / "scan" / f"s{z}.tif", np.zeros((20, 20), np.uint16))
    config = read_config(finished_copy)
    config["threads"]["evaluate"] += 1
    write_as_given(finished_copy, config)
    assert "Nothing to be done" in plan(finished_copy)
    config["predict"] = {"b": {"raw": "scan", "model": "unet"}}
    write_as_given(finished_copy, config)
    planned = plan(finished_copy)
    assert "rule predict:" in planned and "rule report:" not in planned
    assert "Nothing to be done" in report_plan(finished_copy)


def test_a_setting_the_report_shows_reruns_it(finished_copy):
    config = read_config(finished_copy)
    config["evaluate"]["bootstrap_seed"] = 5  # shown under "How it was made", and used
    write_as_given(finished_copy, config)
    planned = report_plan(finished_copy)
    assert "rule report:" in planned
    assert (
        "Params have changed since last execution" in planned and "'bootstrap_seed': 5" in planned
    )
