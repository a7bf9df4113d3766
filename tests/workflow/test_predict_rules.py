"""The prediction rules' DAG: what `best` and a named model depend on, outputs, config errors."""

import copy
import re

import numpy as np
import pytest
import tifffile

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config


def job_counts(output):
    """{rule: count} from Snakemake's dry-run job stats table."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture
def predict_config(tmp_path):
    """The tiny config with two prediction sets over a small folder of slices."""
    (tmp_path / "scan").mkdir()
    for z in range(3):
        tifffile.imwrite(tmp_path / "scan" / f"s{z}.tif", np.zeros((20, 20), np.uint16))
    config = copy.deepcopy(TINY_CONFIG)
    config["predict"] = {
        "b": {"raw": "scan"},
        "c": {"raw": "scan/s*.tif", "model": "dnn", "save_probabilities": True},
    }
    return config


def dry_run(workdir, config, *targets):
    write_config(workdir, config)
    return run_snakemake(workdir, "--dry-run", "--printshellcmds", *targets).stdout


def test_best_depends_on_every_evaluation_and_a_named_model_on_its_own(tmp_path, predict_config):
    best = job_counts(dry_run(tmp_path, predict_config, "results/predict/best/b/volume.csv"))
    assert best["evaluate"] == len(TINY_CONFIG["models"])
    assert best["train"] == len(TINY_CONFIG["models"])
    assert best["predict"] == 1 and best["predict_chunk"] == 1
    # A named model's own evaluation chose its clean-up (cleanup.json); no other model runs.
    named = job_counts(dry_run(tmp_path, predict_config, "results/predict/unet/b/volume.csv"))
    assert named["train"] == 1 and named["evaluate"] == 1


def test_all_predicts_each_set_with_its_model_and_probabilities_only_when_asked(
    tmp_path, predict_config
):
    plan = dry_run(tmp_path, predict_config)
    assert "results/predict/best/b/volume.csv" in plan
    assert "results/predict/dnn/c/probabilities.h5" in plan
    assert "results/predict/best/b/probabilities.h5" not in plan
    # c once more with best, whose uncertainty ranks its slices for labelling (c's settings, so
    # with probabilities too).
    assert "results/predict/best/c/probabilities.h5" in plan
    counts = job_counts(plan)
    assert counts["predict"] == 1 and counts["predict_with_probabilities"] == 2
    assert counts["predict_chunk"] == 3


def test_a_set_in_chunks_gets_one_job_per_chunk_and_the_zarr_layout_when_asked(
    tmp_path, predict_config
):
    predict_config["predict"]["b"].update({"chunk_slices": 2, "outputs": "zarr"})
    plan = dry_run(tmp_path, predict_config, "results/predict/unet/b/volume.csv")
    counts = job_counts(plan)
    assert counts["predict_chunk"] == 2 and counts["predict_zarr"] == 1
    assert "results/predict/unet/b/chunks/000000-000002" in plan
    assert "results/predict/unet/b/chunks/000002-000003" in plan
    assert "segmentation.ome.zarr" in plan and "segmentation.tif" not in plan


def test_a_run_without_prediction_sets_predicts_nothing(finished_tiny_run):
    assert (finished_tiny_run / "results" / "report.html").is_file()
    assert not (finished_tiny_run / "results" / "predict").exists()


# One case per check (the sets, the roles); tests/test_predict.py has the others.
BAD_CONFIGS = {
    "unknown model": (
        lambda c: c["predict"]["b"].__setitem__("model", "resnet"),
        "config error: predict.b.model: 'resnet' is not a configured model",
    ),
    "unknown role class": (
        lambda c: c.__setitem__("microstructure", {"roles": {"ni": "nickel"}}),
        "config error: microstructure.roles.ni: 'nickel' is not a class name",
    ),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_prediction_config_stops_before_any_job(tmp_path, predict_config, case):
    edit, expected = BAD_CONFIGS[case]
    edit(predict_config)
    write_config(tmp_path, predict_config)
    result = run_snakemake(tmp_path, "--dry-run", check=False)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
