"""The evaluate stage inside the pipeline: its files, as a user and the report find them."""

import copy
import json

import pandas as pd
import pytest
import tifffile
from conftest import TINY_CONFIG, run_snakemake, write_config

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize("model", list(TINY_CONFIG["models"]))
def test_each_model_gets_intervals_panels_and_a_prediction_stack(finished_tiny_run, model):
    folder = finished_tiny_run / "results" / "eval" / model
    summary = json.loads((folder / "summary.json").read_text())
    for scores in summary["splits"].values():
        for key in ("accuracy", "mean_iou", "mean_boundary_f1"):
            assert scores[f"{key}_ci_low"] <= scores[key] <= scores[f"{key}_ci_high"], key
    for panel in ("panel.png", "panel_worst.png", "panel_best.png"):
        assert (folder / panel).stat().st_size > 0
    split = pd.read_csv(finished_tiny_run / "results" / "split" / "split.csv")
    stack = tifffile.imread(folder / "test_predictions.tif")
    assert stack.shape[0] == (split["split"] == "test").sum()
    assert set(pd.unique(stack.ravel())) <= set(TINY_CONFIG["data"]["label_values"])


def test_probabilities_are_an_output_only_when_asked_for(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    write_config(tmp_path, config)
    plain = run_snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    assert "test_probabilities.h5" not in plain
    config["evaluate"]["save_probabilities"] = True
    write_config(tmp_path, config)
    asked = run_snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    assert "results/eval/unet/test_probabilities.h5" in asked
