import json

import h5py
import numpy as np
import pandas as pd
import pytest

from helpers.patch_inputs import write_inputs
from xrayseg.patches.build import build_patches
from xrayseg.patches.dedup import content_key
from xrayseg.patches.grid import corner_offsets, tile_slice

NEAR_OFF = {"window": 0, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
NEAR_ON = {"window": 3, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
# 20 slices: train 0-9 | guard 10-11 | val 12-14 | guard 15-16 | test 17-19
SPLITS = ["train"] * 10 + ["guard"] * 2 + ["val"] * 3 + ["guard"] * 2 + ["test"] * 3


def blob_slice(rng, height, width, cell=4):
    """Independent two-phase structure of `cell`-px squares with noise: raw and labels."""
    coarse = rng.normal(size=(height // cell + 1, width // cell + 1)) > 0
    labels = coarse.repeat(cell, axis=0).repeat(cell, axis=1)[:height, :width].astype(np.uint8)
    raw = labels + rng.normal(scale=0.1, size=(height, width))
    return raw.astype(np.float32), labels


def independent_volume(seed, depth=20, height=40, width=40, cell=4):
    rng = np.random.default_rng(seed)
    pairs = [blob_slice(rng, height, width, cell) for _ in range(depth)]
    return np.stack([r for r, _ in pairs]), np.stack([lab for _, lab in pairs])


def build(tmp_path, raw, labels, size, near=NEAR_OFF, splits=SPLITS, seed=0):
    volume, split = write_inputs(tmp_path, raw, labels, splits)
    out = tmp_path / f"{size}px.h5"
    table = build_patches(volume, split, size, seed, near, out, tmp_path / f"{size}px.csv")
    return out, table


def read_groups(path):
    with h5py.File(path, "r") as f:
        return {
            split: {name: f[split][name][:] for name in ("raw", "labels", "origins")}
            for split in ("train", "val", "test")
        }


def test_patches_of_a_slice_never_overlap_and_show_the_volume(tmp_path):
    raw, labels = independent_volume(0, height=45, width=38)
    out, _ = build(tmp_path, raw, labels, 8)
    for group in read_groups(out).values():
        assert len(group["origins"]) > 0
        for z in np.unique(group["origins"][:, 0]):
            covered = np.zeros(raw.shape[1:], dtype=int)
            for y, x in group["origins"][group["origins"][:, 0] == z, 1:]:
                covered[y : y + 8, x : x + 8] += 1
            assert covered.max() == 1
        for (z, y, x), patch, patch_labels in zip(
            group["origins"], group["raw"], group["labels"], strict=True
        ):
            np.testing.assert_array_equal(patch, raw[z, y : y + 8, x : x + 8])
            np.testing.assert_array_equal(patch_labels, labels[z, y : y + 8, x : x + 8])


def test_whole_slice_area_is_covered_over_the_train_stack(tmp_path):
    raw, labels = independent_volume(1, height=45, width=38)
    out, _ = build(tmp_path, raw, labels, 8)
    covered = np.zeros(raw.shape[1:], dtype=int)
    for _, y, x in read_groups(out)["train"]["origins"]:
        covered[y : y + 8, x : x + 8] += 1
    assert covered.min() >= 1


def test_no_held_out_position_or_content_reaches_train(tmp_path):
    raw, labels = independent_volume(2, height=32, width=32)
    # A train slice that is a copy of a test slice: its patches would leak test content.
    raw[3], labels[3] = raw[18], labels[18]
    out, table = build(tmp_path, raw, labels, 8)
    groups = read_groups(out)
    split_of = np.array(SPLITS)
    for name, group in groups.items():
        assert set(split_of[group["origins"][:, 0]]) == {name}
    held_out = set()
    for z in np.flatnonzero(split_of != "train"):
        for offset in corner_offsets(32, 32, 8):
            raw_tiles, _ = tile_slice(raw[z], 8, *offset)
            label_tiles, _ = tile_slice(labels[z], 8, *offset)
            for index in np.ndindex(raw_tiles.shape[:2]):
                held_out.add(content_key(raw_tiles[index], label_tiles[index]))
    train = groups["train"]
    train_keys = {content_key(r, lab) for r, lab in zip(train["raw"], train["labels"], strict=True)}
    assert not train_keys & held_out
    counts = table.set_index("split")
    assert counts.loc["train", "exact_duplicates"] == 16  # the copied slice's 4 x 4 tiles
    assert counts.loc["test", "exact_duplicates"] == 0
    assert counts.loc["test", "kept"] == counts.loc["test", "made"] == 3 * 16


def test_guard_slices_give_no_patches(tmp_path):
    raw, labels = independent_volume(3)
    out, table = build(tmp_path, raw, labels, 8)
    guard = {z for z, name in enumerate(SPLITS) if name == "guard"}
    for group in read_groups(out).values():
        assert not guard & set(group["origins"][:, 0].tolist())
    assert table["made"].sum() == 16 * 25  # 16 non-guard slices x 5 x 5 tiles


def test_exact_duplicates_are_gone(tmp_path):
    raw, labels = independent_volume(4, height=32, width=32)
    raw[1:4], labels[1:4] = raw[0], labels[0]  # repeated train slices
    raw[5], labels[5] = 0.5, 1  # a flat slice: all 16 tiles alike
    out, table = build(tmp_path, raw, labels, 8)
    train = read_groups(out)["train"]
    keys = [content_key(r, lab) for r, lab in zip(train["raw"], train["labels"], strict=True)]
    assert len(keys) == len(set(keys))
    assert table.set_index("split").loc["train", "exact_duplicates"] == 3 * 16 + 15


def test_near_duplicates_of_a_nearly_repeated_stack_are_dropped(tmp_path):
    rng = np.random.default_rng(5)
    base_raw, base_labels = blob_slice(rng, 32, 32)
    raw = base_raw + rng.normal(scale=0.01, size=(20, 32, 32)).astype(np.float32)
    labels = np.repeat(base_labels[None], 20, axis=0)
    _, table = build(tmp_path, raw, labels, 8, near=NEAR_ON)
    train = table.set_index("split").loc["train"]
    # window 3: of the 10 train slices, slices 0, 4 and 8 are kept at every position.
    assert train["exact_duplicates"] == 0
    assert train["kept"] == 3 * 16 and train["near_duplicates"] == 7 * 16
    _, table_off = build(tmp_path, raw, labels, 8, near=NEAR_OFF)
    assert (table_off["kept"] == table_off["made"]).all()


def test_near_duplicate_removal_keeps_an_uncorrelated_stack(tmp_path):
    # Fine structure (2 px squares): two independent 16 px patches never agree on 95 % of labels.
    raw, labels = independent_volume(6, height=36, width=36, cell=2)
    _, table = build(tmp_path, raw, labels, 16, near=NEAR_ON)
    assert (table["near_duplicates"] == 0).all()
    assert (table["kept"] == table["made"]).all()


def test_counts_settings_and_hash_are_recorded(tmp_path):
    raw, labels = independent_volume(7)
    labels[0, :4, :4] = 255  # ignored pixels count for no class
    out, table = build(tmp_path, raw, labels, 8, near=NEAR_ON)
    csv = pd.read_csv(tmp_path / "8px.csv")
    assert list(csv.columns) == [
        "size",
        "orientation",
        "split",
        "slices",
        "made",
        "mostly_ignored",
        "exact_duplicates",
        "near_duplicates",
        "kept",
        "fraction_class0",
        "fraction_class1",
    ]
    assert list(csv["split"]) == ["train", "val", "test"]
    assert set(csv["orientation"]) == {"z"}
    with h5py.File(out, "r") as f:
        assert f.attrs["orientation"] == "z"
        assert json.loads(f.attrs["settings"]) == {
            "size": 8,
            "seed": 0,
            "near_duplicate": NEAR_ON,
            "max_ignored_fraction": 1.0,
        }
        first_hash = f.attrs["config_hash"]
        for row in csv.itertuples():
            group = f[row.split]
            assert group["raw"].shape[0] == group.attrs["kept"] == row.kept
            assert row.made == (
                row.mostly_ignored + row.exact_duplicates + row.near_duplicates + row.kept
            )
            assert row.slices == SPLITS.count(row.split)
            assert group.attrs["near_duplicates"] == row.near_duplicates
            assert group["raw"].chunks == (1, 8, 8) and group["raw"].compression
            fractions = group.attrs["class_fractions"]
            np.testing.assert_allclose(fractions, [row.fraction_class0, row.fraction_class1])
            np.testing.assert_allclose(fractions.sum(), 1)
            kept_labels = group["labels"][:]
            labelled = kept_labels[kept_labels != 255]
            np.testing.assert_allclose(fractions[1], (labelled == 1).mean())
        assert f["train"].attrs["ignored_fraction"] > 0
    other, _ = build(tmp_path, raw, labels, 8, near=NEAR_OFF)
    with h5py.File(other, "r") as f:
        assert f.attrs["config_hash"] != first_hash


def test_split_table_that_does_not_fit_the_volume_is_an_error(tmp_path):
    raw, labels = independent_volume(8)
    with pytest.raises(ValueError, match="split.csv: slice indices"):
        build(tmp_path, raw, labels, 8, splits=SPLITS[:-1])
    with pytest.raises(ValueError, match="larger than the 40x40 slices"):
        build(tmp_path, raw, labels, 64)
