"""Evaluation with sparse labels: only labelled slices are scored, and the summary says how many;
2.5-D inputs still take their neighbours from unlabelled slices of the block."""

import json

import h5py
import numpy as np
import pandas as pd
import tifffile
import torch
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from helpers.evaluation import evaluate_settings, evaluation_outputs
from xrayseg.evaluation.evaluate import evaluate_model, predict_blocks
from xrayseg.inference.predictor import Predictor
from xrayseg.models import build_network
from xrayseg.models.checkpoint import save_checkpoint

CLASS_NAMES = ["pore", "YSZ", "Ni"]
# train 0-9 | guard 10 | val 11-14 | guard 15 | test 16-21
SPLITS = ["train"] * 10 + ["guard"] + ["val"] * 4 + ["guard"] + ["test"] * 6
SHAPE = (len(SPLITS), 24, 24)
UNLABELLED = [1, 2, 4, 5, 7, 8, 12, 18]  # train keeps 0, 3, 6, 9; val 11, 13, 14; test 16-17, 19-21
ROLES = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
SETTINGS = evaluate_settings(
    train_slices=3, save_probabilities=True, microstructure={"roles": ROLES, "voxel_size": 1.0}
)


def write_data(folder):
    """A volume whose raw grey value gives the class away, except on the unlabelled slices,
    whose raw is inverted: a model scored there would be wrong on most pixels."""
    field = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=SHAPE), 2)
    labels = np.digitize(field, np.percentile(field, [33, 66])).astype(np.uint8)
    raw = (labels / 2).astype(np.float32)
    raw[UNLABELLED] = 1 - raw[UNLABELLED]
    labelled = [z not in UNLABELLED for z in range(len(SPLITS))]
    # Labels left in place on the unlabelled slices: the split table's column alone decides.
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"], volume["labels"] = raw, labels
    frame = pd.DataFrame(
        {"slice": range(len(SPLITS)), "name": "s", "split": SPLITS, "labelled": labelled}
    )
    frame.to_csv(folder / "split.csv", index=False)
    return raw, labels


def checkpoint(folder):
    params = {"thresholds": [0.25, 0.75], "order": [0, 1, 2]}  # perfect where raw is not inverted
    path = folder / "threshold.pt"
    save_checkpoint(checkpoint_of("threshold", params, class_names=CLASS_NAMES), path)
    return path


def outputs(folder):
    return evaluation_outputs(folder, probabilities=True)


def test_only_labelled_slices_are_scored_and_the_summary_counts_them(tmp_path):
    write_data(tmp_path)
    paths = outputs(tmp_path)
    evaluate_model(
        checkpoint(tmp_path),
        tmp_path / "volume.h5",
        tmp_path / "split.csv",
        SETTINGS,
        paths,
    )
    metrics = pd.read_csv(paths["metrics"])
    scored = dict(zip(metrics["slice"], metrics["split"], strict=True))
    assert not set(scored) & set(UNLABELLED)
    assert sorted(z for z, s in scored.items() if s == "test") == [16, 17, 19, 20, 21]
    assert sorted(z for z, s in scored.items() if s == "val") == [11, 13, 14]
    train = sorted(z for z, s in scored.items() if s == "train")
    assert len(train) == 3 and set(train) <= {0, 3, 6, 9}  # the subset: among labelled ones
    summary = json.loads(paths["summary"].read_text())
    for split in ("train", "val", "test"):
        assert summary["splits"][split]["accuracy"] == 1.0  # inverted slices never scored
    assert summary["labelled_slices"] == {
        "train": {"slices": 10, "labelled": 4, "scored": 3},
        "val": {"slices": 4, "labelled": 3, "scored": 3},
        "test": {"slices": 6, "labelled": 5, "scored": 5},
    }
    assert summary["train_slices"]["available"] == 4
    assert tifffile.imread(paths["predictions"]).shape[0] == 5
    with h5py.File(paths["probabilities"]) as probabilities:
        assert probabilities["slice_index"][:].tolist() == [16, 17, 19, 20, 21]
    micro = summary["microstructure"]
    assert micro["test_slices"] == [19, 21]  # the longest labelled run of the test block
    assert micro["slices_measured"] == 3 and micro["labelled_test_slices"] == 5


def test_a_25d_prediction_of_a_labelled_slice_reads_its_unlabelled_neighbours(tmp_path):
    raw, _ = write_data(tmp_path)
    predictor = Predictor(
        checkpoint_of("unet", _unet_state(), {"width": 2, "depth": 1}, patch_size=8, context=1)
    )
    seen = []
    original = predictor.slice_input

    def recording(volume_raw, z, block):
        image = original(volume_raw, z, block)
        seen.append((z, image))
        return image

    predictor.slice_input = recording
    blocks = {"test": list(range(16, 22))}
    with h5py.File(tmp_path / "volume.h5") as volume:
        maps, _, _ = predict_blocks(predictor, volume, blocks, SETTINGS, scored={"test": [17, 19]})
    assert sorted(maps["test"]) == [17, 19]
    # Slice 18 is unlabelled (scored nowhere), yet it is both scored slices' neighbour.
    for z, image in seen:
        np.testing.assert_array_equal(image[0 if z == 19 else 2], raw[18])


def _unet_state():
    torch.manual_seed(0)
    return build_network("unet", 3, 3, {"width": 2, "depth": 1}).state_dict()
