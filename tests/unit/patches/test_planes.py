"""Patches cut from the y- and x-planes of each split block, and what training makes of them."""

import h5py
import numpy as np
import pandas as pd
import pytest
from unit.patches.test_build import NEAR_OFF, NEAR_ON, SPLITS, independent_volume

from helpers.patch_inputs import write_inputs
from xrayseg.data.planes import padded_rows, plane_position, plane_stack, volume_position
from xrayseg.data.split import slices_of
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.patches.build import build_patches
from xrayseg.training.data import load_patch_set, load_patch_sets

# train 0-9 | guard 10-11 | val 12-14 | guard 15-16 | test 17-19
BLOCKS = {"train": range(0, 10), "val": range(12, 15), "test": range(17, 20)}


def build_across(tmp_path, raw, labels, size, axis, near=NEAR_OFF):
    volume, split = write_inputs(tmp_path, raw, labels, SPLITS)
    out = tmp_path / f"{size}px_{axis}.h5"
    table = build_patches(
        volume, split, size, 0, near, out, tmp_path / f"{size}px_{axis}.csv", orientation=axis
    )
    return volume, split, out, table


def read_split(path, split):
    with h5py.File(path) as f:
        return {name: f[split][name][:] for name in ("raw", "labels", "origins")}


def patch_at(volume, axis, origin, size):
    """The (size, size) region a patch of `axis` with this (z, y, x) origin covers."""
    z, y, x = origin
    rows = slice(z, z + size)
    if axis == "y":
        return volume[rows, y, x : x + size]
    return volume[rows, y : y + size, x]


def test_positions_of_planes_and_voxels_are_inverse():
    z, y, x = np.array([12, 13]), np.array([3, 7]), np.array([5, 1])
    for axis in ("z", "y", "x"):
        plane, row, col = plane_position(axis, 12, z, y, x)
        for got, want in zip(volume_position(axis, 12, plane, row, col), (z, y, x), strict=True):
            np.testing.assert_array_equal(got, want)
    block = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    assert plane_stack(block, "y")[1, 0, 2] == block[0, 1, 2]
    assert plane_stack(block, "x")[3, 1, 2] == block[1, 2, 3]


def test_thin_planes_are_padded_by_their_own_rows_with_ignored_labels():
    planes = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    raw = padded_rows(planes, 6)
    labels = padded_rows(planes.astype(np.uint8), 6, fill=IGNORE_INDEX)
    np.testing.assert_array_equal(raw[:, :3], planes)
    np.testing.assert_array_equal(raw[:, 3:5], planes[:, [1, 0]])  # mirrored, not repeated
    assert (labels[:, 3:] == IGNORE_INDEX).all()


@pytest.mark.parametrize("axis", ["y", "x"])
def test_plane_patches_come_from_their_own_block_only(tmp_path, axis):
    raw, labels = independent_volume(0, height=24, width=20)
    _, _, out, table = build_across(tmp_path, raw, labels, 8, axis)
    with h5py.File(out) as f:
        assert f.attrs["orientation"] == axis
    assert set(table["orientation"]) == {axis}
    for split, block in BLOCKS.items():
        group = read_split(out, split)
        assert len(group["origins"]) > 0, split
        for origin, patch, patch_labels in zip(
            group["origins"], group["raw"], group["labels"], strict=True
        ):
            z = origin[0]
            real_rows = min(8, block.stop - z)
            assert z in block and real_rows > 0
            np.testing.assert_array_equal(
                patch[:real_rows], patch_at(raw, axis, origin, 8)[:real_rows]
            )
            np.testing.assert_array_equal(
                patch_labels[:real_rows], patch_at(labels, axis, origin, 8)[:real_rows]
            )
            # Rows past the block (a 3-slice block in an 8 px patch) are padding, never the
            # slices that follow it.
            assert (patch_labels[real_rows:] == IGNORE_INDEX).all()


def test_a_block_as_deep_as_the_patch_needs_no_padding(tmp_path):
    raw, labels = independent_volume(1, height=24, width=20)
    _, _, out, _ = build_across(tmp_path, raw, labels, 8, "y")
    train = read_split(out, "train")  # 10 slices: one row of tiles, flush top or bottom
    assert set(train["origins"][:, 0]) <= {0, 2}
    assert (train["labels"] != IGNORE_INDEX).all()


def test_near_duplicates_are_judged_along_the_planes(tmp_path):
    # Every y-plane of a volume constant along y is the same image: with near-duplicate removal
    # only the first planes of each block keep patches.
    raw, labels = independent_volume(2, height=24, width=20)
    raw = np.repeat(raw[:, :1], 24, axis=1)
    labels = np.repeat(labels[:, :1], 24, axis=1)
    _, _, out, table = build_across(tmp_path, raw, labels, 8, "y", near=NEAR_ON)
    train = table.set_index("split").loc["train"]
    assert train["exact_duplicates"] + train["near_duplicates"] > 0.8 * train["made"]


@pytest.mark.parametrize("axis", ["y", "x"])
def test_training_sees_plane_patches_with_their_neighbouring_planes(tmp_path, axis):
    raw, labels = independent_volume(3, height=24, width=20)
    volume, split, out, _ = build_across(tmp_path, raw, labels, 8, axis)
    frame = pd.read_csv(split)
    flat = load_patch_set(out, "train")
    with_context = load_patch_set(out, "train", 1, volume, frame)
    np.testing.assert_array_equal(with_context.images[:, 1], flat.images[:, 0])
    group = read_split(out, "train")
    step = {"y": np.array([0, 1, 0]), "x": np.array([0, 0, 1])}[axis]
    size = {"y": 24, "x": 20}[axis]
    for n, origin in enumerate(group["origins"][:20]):
        for channel, offset in ((0, -1), (2, 1)):
            neighbour = origin + offset * step
            plane = {"y": 1, "x": 2}[axis]
            neighbour[plane] = np.clip(neighbour[plane], 0, size - 1)
            np.testing.assert_array_equal(
                with_context.images[n, channel].numpy(), patch_at(raw, axis, neighbour, 8)
            )
    assert slices_of(frame, "train") == list(range(10))


def test_orientations_load_as_one_set_in_order(tmp_path):
    raw, labels = independent_volume(4, height=24, width=20)
    volume, split, y_file, _ = build_across(tmp_path, raw, labels, 8, "y")
    z_file = tmp_path / "8px.h5"
    build_patches(volume, split, 8, 0, NEAR_OFF, z_file, tmp_path / "8px.csv")
    together = load_patch_sets([z_file, y_file], "val")
    alone = [load_patch_set(path, "val") for path in (z_file, y_file)]
    assert len(together) == sum(len(s) for s in alone)
    np.testing.assert_array_equal(together.images[: len(alone[0])], alone[0].images)


def test_an_unknown_orientation_is_a_clear_error(tmp_path):
    raw, labels = independent_volume(5, height=24, width=20)
    with pytest.raises(ValueError, match="patch orientation"):
        build_across(tmp_path, raw, labels, 8, "w")
