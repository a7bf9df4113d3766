"""The calibrate job on a small volume: a random forest's temperature, fitted on whole labelled
val slices, lowers their NLL; a model of hard decisions is left unscaled and says why."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from xrayseg.evaluation.calibrate import calibrate_model, fitted_temperature, read_calibration
from xrayseg.models import fit_pixel_model
from xrayseg.models.checkpoint import save_checkpoint
from xrayseg.settings.evaluate import CalibrateSettings
from xrayseg.settings.inference import InferenceSettings

SPLITS = ["train"] * 6 + ["guard"] + ["val"] * 4 + ["guard"] + ["test"] * 3
SHAPE = (len(SPLITS), 32, 32)
SETTINGS = CalibrateSettings(
    InferenceSettings(precision="fp32", channels_last=False), val_slices=0, pixels=100_000, seed=0
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Overlapping classes (grey value noise): a forest fitted on few pixels is overconfident."""
    folder = tmp_path_factory.mktemp("calibrate")
    field = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=SHAPE), 2)
    labels = np.digitize(field, np.percentile(field, [33, 66])).astype(np.uint8)
    raw = (labels / 2 + np.random.default_rng(1).normal(0, 0.35, SHAPE)).astype(np.float32)
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"], volume["labels"] = raw, labels
    split = pd.DataFrame(
        {"slice": range(len(SPLITS)), "name": [f"s{i}" for i in range(len(SPLITS))]}
    )
    split["split"] = SPLITS
    # Slice 8 (val) is unlabelled: it must not be fitted on.
    split["labelled"] = split["slice"] != 8
    split.to_csv(folder / "split.csv", index=False)
    train = range(6)
    arguments = {"trees": 8, "samples": 3000}
    params = fit_pixel_model(
        "rf", [raw[z] for z in train], [labels[z] for z in train], 3, arguments
    )
    save_checkpoint(checkpoint_of("rf", params), folder / "rf.pt")
    threshold = {"thresholds": [0.25, 0.75], "order": [0, 1, 2]}
    save_checkpoint(checkpoint_of("threshold", threshold), folder / "threshold.pt")
    return folder


def run(data, model, tmp_path):
    output = tmp_path / f"{model}.json"
    calibrate_model(data / f"{model}.pt", data / "volume.h5", data / "split.csv", SETTINGS, output)
    return read_calibration(output)


def test_the_forests_temperature_lowers_the_val_nll(data, tmp_path):
    record = run(data, "rf", tmp_path)
    assert record["fitted"] and record["val_slices"] == [7, 9, 10]
    assert record["val_pixels"] == 3 * 32 * 32
    assert record["val_nll"]["after"] < record["val_nll"]["before"]
    assert record["temperature"] > 1  # the few-pixel forest is overconfident
    # NLL is what the fit lowers; the ECE (here, of a forest's votes) need not follow it.
    assert all(0 <= value <= 1 for value in record["val_ece"].values())
    assert fitted_temperature(record) == record["temperature"]


def test_a_model_of_hard_decisions_is_not_scaled(data, tmp_path):
    record = run(data, "threshold", tmp_path)
    assert record["fitted"] is False and record["temperature"] is None
    assert "hard class decisions" in record["reason"]
    assert fitted_temperature(record) is None and fitted_temperature(None) is None


def test_an_unreadable_calibration_names_the_file(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="calibration.json"):
        read_calibration(path)
    assert json.loads(json.dumps(read_calibration(None))) is None
