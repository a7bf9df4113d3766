"""Uncertainty, suggestions and a two-point learning curve on the tiny config, run as a user runs
them: the default run's calibration and suggestion files, then a copy of it with a prediction
set and a learning curve switched on."""

import json
import shutil

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
import yaml
import zarr

from helpers.workflow import TINY_CONFIG, run_snakemake

pytestmark = pytest.mark.workflow


def test_every_model_is_calibrated_and_its_test_slices_carry_uncertainty(finished_tiny_run):
    split = pd.read_csv(finished_tiny_run / "results/split/split.csv")
    test = split.loc[split["split"] == "test", "slice"].tolist()
    for model in TINY_CONFIG["models"]:
        calibration = json.loads(
            (finished_tiny_run / f"results/calibration/{model}/calibration.json").read_text()
        )
        summary = json.loads((finished_tiny_run / f"results/eval/{model}/summary.json").read_text())
        assert summary["calibration"]["temperature"] == calibration["temperature"]
        with h5py.File(finished_tiny_run / f"results/eval/{model}/test_uncertainty.h5") as maps:
            assert maps["slice_index"][:].tolist() == test
            defined = np.isfinite(maps["uncertainty"][:]).all()
        if model == "threshold":
            assert not calibration["fitted"] and not defined
        else:
            assert calibration["val_nll"]["after"] <= calibration["val_nll"]["before"]
            assert defined and 0 <= summary["calibration"]["error_auroc"]["uncertainty"] <= 1
    report = (finished_tiny_run / "results/report.html").read_text()
    assert "Uncertainty and calibration" in report and "Which slice to label next" in report
    assert (finished_tiny_run / "results/report/reliability.png").stat().st_size > 0


def test_a_fully_labelled_stack_suggests_guard_slices_and_says_so(finished_tiny_run):
    folder = finished_tiny_run / "results/suggest/best"
    summary = json.loads((folder / "summary.json").read_text())
    ranking = pd.read_csv(folder / "next_slices.csv")
    split = pd.read_csv(finished_tiny_run / "results/split/split.csv")
    assert summary["model"] != "threshold"  # best among the models with probabilities
    assert summary["kind"] == "guard (labelled)"
    assert sorted(ranking["slice"]) == sorted(split.loc[split["split"] == "guard", "slice"])
    assert ranking.equals(pd.read_csv(folder / "stack.csv"))  # no prediction sets
    report = (finished_tiny_run / "results/report.html").read_text()
    assert (
        "every slice of the stack is labelled, so there is nothing left to label" in report.lower()
    )


@pytest.fixture(scope="module")
def labelling_run(finished_tiny_run, tmp_path_factory):
    """The finished tiny run with a prediction set and a two-point learning curve added."""
    workdir = tmp_path_factory.mktemp("labelling") / "run"
    shutil.copytree(finished_tiny_run, workdir, symlinks=True)
    (workdir / "scan").mkdir()
    raw = sorted((workdir / "resources/synthetic/raw").iterdir())
    for z, path in enumerate(raw[:3]):
        tifffile.imwrite(workdir / "scan" / f"s{z}.tif", tifffile.imread(path))
    config = yaml.safe_load((workdir / "config/config.yaml").read_text())
    config["predict"] = {"scan_b": {"raw": "scan", "model": "unet"}}
    config["suggest"] = {"model": "unet", "min_distance": 2}
    config["learning_curve"] = {"model": "unet", "slices": [2, 40]}
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(workdir, "--cores", "2")
    return workdir


def test_prediction_sets_join_the_ranking_with_the_same_models_uncertainty(labelling_run):
    folder = labelling_run / "results/suggest/unet"
    ranking = pd.read_csv(folder / "next_slices.csv")
    scan = ranking[ranking["source"] == "scan_b"]
    assert sorted(scan["slice"]) == [0, 1, 2] and set(scan["kind"]) == {"predict set"}
    maps = zarr.open_array(
        str(labelling_run / "results/predict/unet/scan_b/uncertainty.ome.zarr"), path="0"
    )
    means = maps[0].astype(np.float32).mean(axis=(1, 2))
    np.testing.assert_allclose(scan.sort_values("slice")["mean_uncertainty"], means, rtol=1e-3)
    suggested = ranking.loc[ranking["suggested"], "mean_uncertainty"]
    assert suggested.is_monotonic_decreasing


def test_a_two_point_learning_curve_uses_nested_subsets_and_reaches_the_main_run(labelling_run):
    folder = labelling_run / "results/learning_curve/unet"
    small = pd.read_csv(folder / "2/subset_split.csv")
    large = pd.read_csv(folder / "40/subset_split.csv")
    train = pd.read_csv(labelling_run / "results/split/split.csv").query("split == 'train'")
    small_train = set(small.loc[small["split"] == "train", "slice"])
    assert len(small_train) == 2
    assert small_train <= set(large.loc[large["split"] == "train", "slice"]) == set(train["slice"])
    with h5py.File(folder / "2/32px.h5") as patches:
        assert set(patches["train"]["origins"][:, 0]) <= small_train
    # Every train slice, the same settings and seed: the main run's model, the same scores before
    # its clean-up (a point evaluates no val block to choose one on).
    main = json.loads((labelling_run / "results/eval/unet/summary.json").read_text())
    point = json.loads((folder / "40/eval/summary.json").read_text())
    before = main["cleanup"]["test"]["before"]["mean_iou"]
    assert point["splits"]["test"]["mean_iou"] == pytest.approx(before, abs=1e-12)
    assert point["cleanup"]["chosen"]["name"] == "none"
    assert list(point["splits"]) == ["test"]
    report = (labelling_run / "results/report.html").read_text()
    assert "Would more labels help?" in report
    assert (labelling_run / "results/report/learning_curve.png").stat().st_size > 0
