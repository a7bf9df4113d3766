"""Training on sparse and partial labels: pixel models fit on labelled train slices, read one at
a time; 2.5-D patches take neighbours from unlabelled slices of the block; scribbled slices
(labels under the mask but for a few strokes) train a working model."""

import json
import logging

import h5py
import numpy as np
import pandas as pd
import pytest

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    write_real_layout,
)
from xrayseg.data.ingest import ingest_volume
from xrayseg.data.split import labelled_slices_of, split_table, write_split_table
from xrayseg.inference.predictor import Predictor
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import fit_pixel_model
from xrayseg.models.checkpoint import load_checkpoint
from xrayseg.patches.build import build_patches
from xrayseg.training.data import load_patch_set
from xrayseg.training.job import train_model
from xrayseg.training.volumeslices import VolumeSlices

NEAR_OFF = {"window": 0, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
MASK = 64


def write_volume(path, raw, labels, labelled=None):
    with h5py.File(path, "w") as volume:
        volume["raw"] = raw.astype(np.float32)
        volume["labels"] = labels.astype(np.uint8)
        if labelled is not None:
            volume["labelled"] = np.asarray(labelled, dtype=bool)
        volume.attrs.update(
            {
                "class_names": json.dumps(CLASS_NAMES),
                "label_values": json.dumps(GREY_VALUES),
                "norm_low": 0.0,
                "norm_high": 1.0,
                "raw_names": json.dumps([f"s{z}" for z in range(len(raw))]),
                "config_hash": "test",
            }
        )


def fit_job(tmp_path, folder, model_cfg, name="m"):
    train_model(
        name,
        model_cfg,
        folder / "volume.h5",
        folder / "split.csv",
        None,
        tmp_path / name / "model.pt",
        tmp_path / name / "history.csv",
        seed=0,
        device="cpu",
    )
    return load_checkpoint(tmp_path / name / "model.pt")


class CountingDataset:
    """An array that counts the slices read from it."""

    def __init__(self, array):
        self.array, self.reads = array, []

    def __getitem__(self, z):
        self.reads.append(int(z))
        return self.array[z]


def test_volume_slices_read_a_slice_only_when_asked():
    dataset = CountingDataset(np.arange(5 * 4).reshape(5, 2, 2))
    slices = VolumeSlices(dataset, [4, 1, 3])
    assert len(slices) == 3 and dataset.reads == []
    np.testing.assert_array_equal(slices[1], dataset.array[1])
    assert dataset.reads == [1]
    assert len(slices[1:]) == 2 and dataset.reads == [1]


def test_the_forest_reads_only_the_slices_it_samples():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=(12, 16, 16)).astype(np.uint8)
    raw = (labels / 2 + rng.normal(0, 0.05, labels.shape)).astype(np.float32)
    raw_ds, label_ds = CountingDataset(raw), CountingDataset(labels)
    fit_pixel_model(
        "rf",
        VolumeSlices(raw_ds, range(12)),
        VolumeSlices(label_ds, range(12)),
        3,
        {"trees": 2, "samples": 600, "slices": 3},
    )
    assert sorted(raw_ds.reads) == sorted(label_ds.reads) == [0, 6, 11]


def test_pixel_models_fit_on_the_labelled_train_slices_only(tmp_path, caplog):
    rng = np.random.default_rng(1)
    splits = split_table(["s"] * 20, 0.2, 0.25, 1)  # train 0-8
    labels = rng.integers(0, 3, size=(20, 16, 16)).astype(np.uint8)
    raw = (labels / 2 + rng.normal(0, 0.05, labels.shape)).astype(np.float32)
    labelled = np.ones(20, dtype=bool)
    labelled[[0, 1, 3, 4, 5, 6, 8]] = False  # train slices 2 and 7 labelled
    labels[~labelled] = IGNORE_INDEX
    write_volume(tmp_path / "volume.h5", raw, labels, labelled)
    splits["labelled"] = labelled
    splits.to_csv(tmp_path / "split.csv", index=False)
    settings = {"arch": "rf", "trees": 2, "samples": 500, "slices": 2}
    with caplog.at_level(logging.INFO):
        forest = fit_job(tmp_path, tmp_path, settings)
    # Spread over the whole train block, the forest's 2 slices would be 0 and 8: unlabelled,
    # no pixel to fit on.
    assert "fitted rf (" in caplog.text and "on the 2 labelled of 9 train slices" in caplog.text
    z = labelled_slices_of(splits, "test")[0]
    # Random classes per pixel, blurred by the filter features: far above chance (1/3) is all.
    assert (Predictor(forest).classes(raw[z][None]) == labels[z]).mean() > 0.75
    threshold = fit_job(tmp_path, tmp_path, {"arch": "threshold"}, "t")
    assert (Predictor(threshold).classes(raw[z][None]) == labels[z]).mean() > 0.99


def test_context_patches_take_neighbours_from_unlabelled_slices_of_the_block(tmp_path):
    depth, side = 20, 16
    rng = np.random.default_rng(2)
    # Every voxel holds its slice index, so each channel says which slice it came from.
    raw = np.broadcast_to(np.arange(depth, dtype=np.float32)[:, None, None], (depth, side, side))
    labels = rng.integers(0, 3, size=(depth, side, side)).astype(np.uint8)
    labelled = np.arange(depth) % 3 == 1  # train 0-8: 1, 4, 7
    labels[~labelled] = IGNORE_INDEX
    write_volume(tmp_path / "volume.h5", raw, labels, labelled)
    splits = split_table(["s"] * depth, 0.2, 0.25, 1)
    splits["labelled"] = labelled
    splits.to_csv(tmp_path / "split.csv", index=False)
    build_patches(
        tmp_path / "volume.h5",
        tmp_path / "split.csv",
        8,
        0,
        NEAR_OFF,
        tmp_path / "8px.h5",
        tmp_path / "8px.csv",
    )
    patch_set = load_patch_set(tmp_path / "8px.h5", "train", 1, tmp_path / "volume.h5", splits)
    channels = patch_set.images[:, :, 0, 0].numpy()
    assert sorted(set(channels[:, 1])) == [1, 4, 7]  # patches only from labelled slices
    np.testing.assert_array_equal(channels[:, 0], channels[:, 1] - 1)  # unlabelled neighbours
    np.testing.assert_array_equal(channels[:, 2], channels[:, 1] + 1)


def test_scribbled_slices_train_a_model_that_segments_whole_slices(tmp_path):
    """Labels drawn as a few strokes, the rest of each slice the mask value: the unlabelled
    pixels count for nothing, and a model fitted on the strokes segments the whole slice."""
    raw, classes = phantom()
    scribbles = np.full(classes.shape, MASK, dtype=np.uint8)
    scribbles[:, 4:7, :] = grey_labels(classes[:, 4:7, :])  # one horizontal stroke
    scribbles[:, :, 9] = grey_labels(classes[:, :, 9])  # and one vertical
    raw_dir, label_dir = write_real_layout(tmp_path / "data", raw, scribbles)
    ingest_volume(
        str(raw_dir),
        str(label_dir),
        GREY_VALUES,
        CLASS_NAMES,
        SPLIT,
        tmp_path / "volume.h5",
        [1, 99],
        mask=MASK,
    )
    split = write_split_table(tmp_path / "volume.h5", SPLIT, tmp_path / "split.csv")
    assert split["labelled"].all()  # partial labels: every slice is labelled
    with h5py.File(tmp_path / "volume.h5") as volume:
        labels = volume["labels"][:]
    stroke = scribbles != MASK
    assert (labels[~stroke] == IGNORE_INDEX).all()
    np.testing.assert_array_equal(labels[stroke], classes[stroke])

    table = build_patches(
        tmp_path / "volume.h5",
        tmp_path / "split.csv",
        8,
        0,
        NEAR_OFF,
        tmp_path / "8px.h5",
        tmp_path / "8px.csv",
        max_ignored_fraction=0.99,
    ).set_index("split")
    assert (table["kept"] > 0).all()
    with h5py.File(tmp_path / "8px.h5") as patches:
        kept = patches["train"]["labels"][:]
    assert ((kept != IGNORE_INDEX).mean(axis=(1, 2)) > 0).all()

    model = fit_job(tmp_path, tmp_path, {"arch": "threshold"})
    test = labelled_slices_of(pd.read_csv(tmp_path / "split.csv"), "test")
    with h5py.File(tmp_path / "volume.h5") as volume:
        predicted = np.stack([Predictor(model).classes(volume["raw"][z][None]) for z in test])
    # Scored against the full truth, every pixel, not only the strokes.
    assert (predicted == classes[test]).mean() == pytest.approx(1.0, abs=0.02)
