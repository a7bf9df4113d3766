"""The evaluate stage inside the pipeline: its files, as a user and the report find them."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config


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


def test_each_model_gets_the_microstructure_of_the_same_test_block(finished_tiny_run):
    tables = {
        model: pd.read_csv(finished_tiny_run / "results" / "eval" / model / "microstructure.csv")
        for model in TINY_CONFIG["models"]
    }
    reference = tables["threshold"]
    # The tiny config names no roles: the defaults (pore, YSZ, Ni) fit its class names.
    assert list(reference.loc[reference.metric == "tpb_density", "phases"]) == ["pore/YSZ/Ni"]
    for model, table in tables.items():
        pd.testing.assert_frame_equal(
            table[["metric", "phases", "true"]], reference[["metric", "phases", "true"]]
        )
        rows = table.set_index(["metric", "phases"])
        assert rows.loc[("tpb_density", "pore/YSZ/Ni"), "true"] > 0, model
        assert rows["true"].notna().all(), model
        # Errors are defined wherever the prediction has the phase (a phase a weak model never
        # predicts has no connected fraction: NaN).
        defined = rows["predicted"].notna()
        assert np.isfinite(rows.loc[defined, "relative_error"]).all(), model
        assert (rows.loc[defined, "predicted"] >= 0).all(), model
        assert (rows.loc["connected_fraction", "predicted"].dropna() <= 1).all(), model
        # The block measured is the test block evaluate scored: the same phase fractions.
        summary = json.loads(
            (finished_tiny_run / "results" / "eval" / model / "summary.json").read_text()
        )
        test = summary["splits"]["test"]
        for name in TINY_CONFIG["data"]["class_names"]:
            fraction = rows.loc[("volume_fraction", name)]
            assert fraction["true"] == pytest.approx(test[f"true_fraction_{name}"])
            assert fraction["predicted"] == pytest.approx(test[f"pred_fraction_{name}"])
        errors = summary["microstructure"]["relative_error"]
        assert errors["tpb_density"]["pore/YSZ/Ni"] == pytest.approx(
            rows.loc[("tpb_density", "pore/YSZ/Ni"), "relative_error"]
        )


def test_probabilities_are_an_output_only_when_asked_for(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    write_config(tmp_path, config)
    plain = run_snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    assert "test_probabilities.h5" not in plain
    config["evaluate"]["save_probabilities"] = True
    write_config(tmp_path, config)
    asked = run_snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    assert "results/eval/unet/test_probabilities.h5" in asked


@pytest.mark.parametrize("model", list(TINY_CONFIG["models"]))
def test_each_model_gets_a_clean_up_chosen_on_the_val_block_for_predict(finished_tiny_run, model):
    folder = finished_tiny_run / "results" / "eval" / model
    summary = json.loads((folder / "summary.json").read_text())
    record = summary["cleanup"]
    split = pd.read_csv(finished_tiny_run / "results" / "split" / "split.csv")
    val = split.loc[split["split"] == "val", "slice"]
    assert record["val_slices"] == [val.min(), val.max()]
    assert record["candidates"][0]["name"] == "none"
    assert record["chosen"]["name"] in [c["name"] for c in record["candidates"]]
    saved = json.loads((folder / "cleanup.json").read_text())
    assert saved == {**record["chosen"], "model": model, "why": record["why"]}
    # The headline test scores are those after the clean-up.
    after = record["test"]["after"]
    assert after["accuracy"] == pytest.approx(summary["splits"]["test"]["accuracy"])
