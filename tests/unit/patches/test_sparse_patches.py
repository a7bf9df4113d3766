"""Patches from sparse and partial labels: never from unlabelled slices, mostly ignored patches
skipped and counted, scribbled patches kept."""

import json

import h5py
import numpy as np
import pandas as pd

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.patches.build import build_patches, mostly_ignored

NEAR_OFF = {"window": 0, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
# 20 slices: train 0-9 | guard 10-11 | val 12-14 | guard 15-16 | test 17-19
SPLITS = ["train"] * 10 + ["guard"] * 2 + ["val"] * 3 + ["guard"] * 2 + ["test"] * 3
SIZE = 8


def volume(depth=20, side=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=(depth, side, side)).astype(np.uint8)
    raw = (labels + rng.normal(scale=0.1, size=labels.shape)).astype(np.float32)
    return raw, labels


def build(tmp_path, raw, labels, labelled=None, max_ignored_fraction=1.0):
    with h5py.File(tmp_path / "volume.h5", "w") as f:
        f["raw"], f["labels"] = raw, labels
        f.attrs["class_names"] = json.dumps(["a", "b"])
        f.attrs["config_hash"] = "volumehash"
    frame = pd.DataFrame({"slice": range(len(SPLITS)), "name": "s", "split": SPLITS})
    if labelled is not None:
        frame["labelled"] = labelled
    frame.to_csv(tmp_path / "split.csv", index=False)
    table = build_patches(
        tmp_path / "volume.h5",
        tmp_path / "split.csv",
        SIZE,
        0,
        NEAR_OFF,
        tmp_path / "out.h5",
        tmp_path / "out.csv",
        max_ignored_fraction=max_ignored_fraction,
    )
    with h5py.File(tmp_path / "out.h5") as f:
        groups = {s: {k: f[s][k][:] for k in ("labels", "origins")} for s in ("train", "val")}
    return table.set_index("split"), groups


def test_patches_never_come_from_unlabelled_slices(tmp_path):
    raw, labels = volume()
    unlabelled = [1, 2, 3, 5, 6, 7, 13]
    labels[unlabelled] = IGNORE_INDEX  # as ingest writes an unlabelled slice
    labelled = [z not in unlabelled for z in range(len(SPLITS))]
    table, groups = build(tmp_path, raw, labels, labelled)
    assert sorted(set(groups["train"]["origins"][:, 0])) == [0, 4, 8, 9]
    assert sorted(set(groups["val"]["origins"][:, 0])) == [12, 14]
    for group in groups.values():
        assert not (group["labels"] == IGNORE_INDEX).any()
    tiles = (40 // SIZE) ** 2
    assert table.loc["train", "slices"] == 4 and table.loc["train", "made"] == 4 * tiles
    assert table.loc["train", "mostly_ignored"] == 0  # unlabelled slices are not even cut


def test_the_labelled_column_decides_even_when_labels_hold_classes(tmp_path):
    raw, labels = volume()
    labelled = [z % 2 == 0 for z in range(len(SPLITS))]
    _, groups = build(tmp_path, raw, labels, labelled)
    assert all(z % 2 == 0 for z in groups["train"]["origins"][:, 0])


def test_mostly_ignored_patches_are_skipped_and_counted(tmp_path):
    raw, labels = volume()
    # Slice 0 ignored but for one pixel in its first row of tiles (8 px rows): those 5 tiles
    # have 1 or 0 labelled pixels; the rest of the slice has none at all.
    labels[0] = IGNORE_INDEX
    labels[0, 3, 3] = 1
    # Slice 4: its top 4 rows labelled, the rest ignored: every tile of the top row of tiles
    # is half labelled (32 of 64 pixels), every other tile unlabelled.
    labels[4, 4:] = IGNORE_INDEX
    table, groups = build(tmp_path, raw, labels, max_ignored_fraction=0.9)
    kept_from = groups["train"]["origins"]
    assert not any(z == 0 for z, _, _ in kept_from)  # 1 labelled pixel of 64: > 0.9 ignored
    assert {(y, x) for z, y, x in kept_from if z == 4} == {(0, x) for x in range(0, 40, 8)}
    tiles_per_slice = 25
    assert table.loc["train", "mostly_ignored"] == tiles_per_slice + (tiles_per_slice - 5)
    train = table.loc["train"]
    assert train["made"] == train["mostly_ignored"] + train["kept"]
    with h5py.File(tmp_path / "out.h5") as f:
        assert f["train"].attrs["mostly_ignored"] == train["mostly_ignored"]


def test_scribbled_patches_are_kept_at_the_default_fraction_and_wholly_ignored_never():
    tiles = np.full((3, SIZE * 8, SIZE * 8), IGNORE_INDEX, dtype=np.uint8)
    tiles[0, :, 30:33] = 1  # a 3 px scribble across a 64 px tile: 4.7 % labelled
    tiles[1, 0, :] = 0  # one labelled row: 1.6 %
    skipped = mostly_ignored(tiles, 0.99)
    assert skipped.tolist() == [False, False, True]
    assert mostly_ignored(tiles, 1.0).tolist() == [False, False, True]
    assert mostly_ignored(tiles, 0.97).tolist() == [False, True, True]
