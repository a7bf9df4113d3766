"""OME-Zarr images written slab by slab, read back with ome-zarr-py's reader and plain zarr."""

import numpy as np
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader

from xrayseg.io.omezarr import LabelImageWriter, MapImageWriter, level_count, mode_pair

GREY = np.array([0, 128, 255], dtype=np.uint8)


def classes(shape=(9, 70, 50), seed=0):
    return np.random.default_rng(seed).integers(0, 3, shape).astype(np.uint8)


def read_back(path):
    """(arrays of every level, axes, scales) through ome-zarr-py's reader."""
    [node] = [n for n in Reader(parse_url(str(path)))() if n.data]
    scales = [t[0]["scale"] for t in node.metadata["coordinateTransformations"]]
    return [np.asarray(level) for level in node.data], node.metadata["axes"], scales


def test_labels_read_back_with_every_level_axis_and_scale(tmp_path):
    labels = classes()
    writer = LabelImageWriter(tmp_path / "seg.ome.zarr", labels.shape, GREY, 2.5, top_side=16)
    for start in range(0, 9, 4):  # slabs of uneven size, as the assembly feeds them
        writer.write(labels[start : start + 4])
    writer.close()
    levels, axes, scales = read_back(tmp_path / "seg.ome.zarr")
    assert [a["name"] for a in axes] == ["z", "y", "x"]
    assert [level.shape for level in levels] == [(9, 70, 50), (5, 35, 25), (3, 18, 13), (2, 9, 7)]
    assert scales == [[2.5 * 2**n] * 3 for n in range(4)]
    np.testing.assert_array_equal(levels[0], GREY[labels])
    for level in levels:
        assert level.dtype == np.uint8 and set(np.unique(level)) <= set(GREY)
    plain = zarr.open_array(str(tmp_path / "seg.ome.zarr"), path="1", mode="r")
    np.testing.assert_array_equal(plain[:], levels[1])


def test_each_level_is_the_mode_of_the_boxes_below_it():
    first = np.array([[0, 0, 2], [1, 0, 2]], np.uint8)
    second = np.array([[1, 1, 2], [1, 2, 1]], np.uint8)
    # Box (0, 0): 0 x3, 1 x4, 2 x1 -> 1; box (0, 1) (odd side: 1 x 2 x 2): 2 x3, 1 x1 -> 2.
    np.testing.assert_array_equal(mode_pair(first, second, 3), [[1, 2]])
    # A tie goes to the lowest class; a lone last slice is a 1 x 2 x 2 box.
    np.testing.assert_array_equal(mode_pair(np.array([[0, 1], [1, 0]], np.uint8), None, 3), [[0]])


def test_rgb_labels_get_a_channel_axis_of_their_colours(tmp_path):
    colours = np.array([[0, 0, 255], [0, 255, 0], [255, 0, 0]], np.uint8)
    labels = classes((3, 8, 8))
    writer = LabelImageWriter(tmp_path / "rgb.ome.zarr", labels.shape, colours)
    writer.write(labels)
    writer.close()
    levels, axes, _ = read_back(tmp_path / "rgb.ome.zarr")
    assert [a["name"] for a in axes] == ["c", "z", "y", "x"]
    np.testing.assert_array_equal(levels[0], np.moveaxis(colours[labels], -1, 0))


def test_uncertainty_maps_are_float16_channels_averaged_down_the_levels(tmp_path):
    rng = np.random.default_rng(1)
    maps = rng.random((2, 4, 40, 40)).astype(np.float32)
    writer = MapImageWriter(
        tmp_path / "u.ome.zarr", maps.shape[1:], ["uncertainty", "flip"], top_side=16
    )
    for z in range(4):
        writer.write({"uncertainty": maps[0, z], "flip": maps[1, z]})
    writer.close()
    levels, axes, _ = read_back(tmp_path / "u.ome.zarr")
    assert [a["name"] for a in axes] == ["c", "z", "y", "x"]
    assert levels[0].dtype == np.float16 and levels[0].shape == (2, 4, 40, 40)
    np.testing.assert_allclose(levels[0], maps, atol=1e-3)
    box_means = maps.reshape(2, 2, 2, 20, 2, 20, 2).mean(axis=(2, 4, 6))
    np.testing.assert_allclose(levels[1], box_means, atol=1e-3)
    group = zarr.open_group(str(tmp_path / "u.ome.zarr"), mode="r")
    assert [c["label"] for c in group.attrs["omero"]["channels"]] == ["uncertainty", "flip"]


def test_a_writer_refuses_to_close_with_slices_missing(tmp_path):
    writer = LabelImageWriter(tmp_path / "seg.ome.zarr", (3, 4, 4), GREY)
    writer.write(classes((2, 4, 4)))
    with pytest.raises(ValueError, match="2 slices written of 3"):
        writer.close()


def test_pyramids_stop_once_the_slice_fits_the_top_side():
    assert level_count((10, 2048, 2048)) == 4
    assert level_count((10, 200, 100)) == 1
