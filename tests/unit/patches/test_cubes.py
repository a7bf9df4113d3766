"""3-D patches for the 3-D UNet: cut from within one split block, never across a gap."""

import json

import h5py
import numpy as np
import pytest

from helpers.patch_inputs import write_inputs
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.patches.cubes import build_cubes, layer_starts, mirrored_to_depth

# 40 slices: train 0-21 | guard 22-23 | val 24-30 | guard 31-32 | test 33-39
SPLITS = ["train"] * 22 + ["guard"] * 2 + ["val"] * 7 + ["guard"] * 2 + ["test"] * 7
BLOCKS = {"train": (0, 22), "val": (24, 31), "test": (33, 40)}


def random_volume(seed, depth=40, height=36, width=28):
    """Every voxel distinct (so every patch shows where it came from) and two-phase labels."""
    rng = np.random.default_rng(seed)
    raw = rng.random((depth, height, width)).astype(np.float32)
    return raw, (raw > 0.5).astype(np.uint8)


def build(tmp_path, raw, labels, depth, side, splits=SPLITS, seed=0):
    volume, split = write_inputs(tmp_path, raw, labels, splits)
    out = tmp_path / f"{depth}x{side}x{side}px.h5"
    table = build_cubes(volume, split, depth, side, seed, out, tmp_path / "counts.csv")
    return out, table


def read_groups(path):
    with h5py.File(path, "r") as f:
        return {
            split: {
                **{name: f[split][name][:] for name in ("raw", "labels", "origins")},
                "attrs": dict(f[split].attrs),
            }
            for split in ("train", "val", "test")
        }


@pytest.mark.parametrize("depth,side", [(8, 8), (4, 12), (16, 8)])
def test_patches_come_from_within_their_own_block_only(tmp_path, depth, side):
    raw, labels = random_volume(0)
    out, _ = build(tmp_path, raw, labels, depth, side)
    for split, group in read_groups(out).items():
        first, stop = BLOCKS[split]
        assert len(group["origins"]) > 0, split
        for (z, y, x), patch, patch_labels in zip(
            group["origins"], group["raw"], group["labels"], strict=True
        ):
            inside = min(depth, stop - z)
            # Never a slice of a guard gap or of another split.
            assert first <= z and z + inside <= stop, (split, z)
            np.testing.assert_array_equal(
                patch[:inside], raw[z : z + inside, y : y + side, x : x + side]
            )
            np.testing.assert_array_equal(
                patch_labels[:inside], labels[z : z + inside, y : y + side, x : x + side]
            )
            # A block shorter than the depth is mirrored: mirrored voxels hold block content
            # and are ignored.
            assert (patch_labels[inside:] == IGNORE_INDEX).all()
            block_raw = raw[first:stop, y : y + side, x : x + side]
            for mirrored in patch[inside:]:
                assert any(np.array_equal(mirrored, s) for s in block_raw)


def test_patches_of_a_block_never_overlap(tmp_path):
    raw, labels = random_volume(1)
    out, _ = build(tmp_path, raw, labels, 4, 8)
    for split, group in read_groups(out).items():
        covered = np.zeros(raw.shape, dtype=int)
        for z, y, x in group["origins"]:
            covered[z : z + 4, y : y + 8, x : x + 8] += 1
        assert covered.max() == 1, split


def test_layers_cycle_through_the_four_grid_corners(tmp_path):
    raw, labels = random_volume(2, height=36, width=28)  # 36 % 8 = 4, 28 % 8 = 4
    out, _ = build(tmp_path, raw, labels, 4, 8)
    origins = read_groups(out)["train"]["origins"]
    corners = {(int(y.min() % 8), int(x.min() % 8)) for _, y, x in _layers(origins)}
    assert corners == {(0, 0), (0, 4), (4, 0), (4, 4)}


def _layers(origins):
    for z in np.unique(origins[:, 0]):
        chosen = origins[origins[:, 0] == z]
        yield z, chosen[:, 1], chosen[:, 2]


def test_identical_blocks_give_duplicates_only_in_train(tmp_path):
    # Train, val and test blocks all hold the same 7 slices: every train and val patch repeats a
    # test patch, layer for layer, when the grids line up (one layer each, same offsets).
    raw, labels = random_volume(4, height=32, width=32)
    splits = ["train"] * 7 + ["guard"] + ["val"] * 7 + ["guard"] + ["test"] * 7
    block = raw[:7].copy(), labels[:7].copy()
    for start in (0, 8, 16):
        raw[start : start + 7], labels[start : start + 7] = block
    _, table = build(tmp_path, raw[:23], labels[:23], 8, 8, splits=splits)
    counts = table.set_index("split")
    assert counts.loc["test", "kept"] == counts.loc["test", "made"] == 16
    assert counts.loc["val", "kept"] == 0 and counts.loc["train", "kept"] == 0
    assert (counts["made"] == counts["kept"] + counts["exact_duplicates"]).all()
    assert (counts["near_duplicates"] == 0).all()
    assert list(counts["size"].unique()) == ["8x8x8"]


def test_layer_starts_sit_flush_with_one_end_of_the_block():
    starts = {tuple(layer_starts(22, 8, np.random.default_rng(seed))) for seed in range(20)}
    assert starts == {(0, 8), (6, 14)}
    assert layer_starts(7, 8, np.random.default_rng(0)) == [0]
    assert layer_starts(16, 8, np.random.default_rng(0)) == [0, 8]


def test_mirroring_to_depth_reflects_the_block_and_ignores_the_copy():
    raw = np.arange(3, dtype=np.float32)[:, None, None] * np.ones((1, 2, 2), np.float32)
    labels = np.ones((3, 2, 2), np.uint8)
    padded, padded_labels = mirrored_to_depth(raw, labels, 8)
    assert padded[:, 0, 0].tolist() == [0, 1, 2, 1, 0, 1, 2, 1]
    assert padded_labels[:3].tolist() == labels.tolist()
    assert (padded_labels[3:] == IGNORE_INDEX).all()


def test_the_counts_and_attributes_describe_the_blocks(tmp_path):
    raw, labels = random_volume(5)
    out, table = build(tmp_path, raw, labels, 8, 8)
    groups = read_groups(out)
    assert groups["val"]["attrs"]["block_depth"] == 7
    assert groups["train"]["attrs"]["block_depth"] == 8
    assert groups["train"]["raw"].shape[1:] == (8, 8, 8)
    with h5py.File(out, "r") as f:
        assert json.loads(f.attrs["settings"]) == {"depth": 8, "side": 8, "seed": 0}
    assert table["kept"].tolist() == [len(groups[s]["origins"]) for s in ("train", "val", "test")]
