"""Label files carry the input's label values, grey (8- or 16-bit) or RGB, and read back as the
classes written; class probabilities have one layout for evaluate and predict."""

import json

import h5py
import numpy as np
import pytest
import tifffile

import xrayseg.io.labelfiles
from xrayseg.io.labelfiles import (
    label_lookup,
    read_label_stack,
    write_class_stack,
    write_label_stack,
)
from xrayseg.io.probabilities import ProbabilityFile

PREDICTIONS = {3: np.array([[0, 1], [2, 0]], np.uint8), 5: np.array([[1, 1], [2, 2]], np.uint8)}


def test_grey_label_values_give_a_grey_stack_in_slice_order(tmp_path):
    write_class_stack(tmp_path / "p.tif", PREDICTIONS, [0, 128, 255])
    stack = tifffile.imread(tmp_path / "p.tif")
    assert stack.shape == (2, 2, 2) and stack.dtype == np.uint8
    assert stack[0].tolist() == [[0, 128], [255, 0]] and stack[1].tolist() == [
        [128, 128],
        [255, 255],
    ]
    with tifffile.TiffFile(tmp_path / "p.tif") as tiff:
        assert tiff.is_imagej and tiff.imagej_metadata["Labels"] == ["slice 3", "slice 5"]


def test_label_values_beyond_255_give_a_16_bit_stack_that_reads_back(tmp_path):
    write_class_stack(tmp_path / "p.tif", PREDICTIONS, [0, 1000, 2000])
    stack = tifffile.imread(tmp_path / "p.tif")
    assert stack.dtype == np.uint16 and stack[0].tolist() == [[0, 1000], [2000, 0]]
    classes = read_label_stack(tmp_path / "p.tif", [0, 1000, 2000])
    np.testing.assert_array_equal(classes, np.stack([PREDICTIONS[3], PREDICTIONS[5]]))


def test_rgb_label_values_give_an_rgb_stack(tmp_path):
    colours = [[0, 0, 255], [0, 255, 0], [255, 0, 0]]
    write_class_stack(tmp_path / "p.tif", PREDICTIONS, colours)
    stack = tifffile.imread(tmp_path / "p.tif")
    assert stack.shape == (2, 2, 2, 3)
    assert stack[0, 0, 1].tolist() == [0, 255, 0] and stack[1, 1, 0].tolist() == [255, 0, 0]
    one = {7: PREDICTIONS[3]}  # one RGB slice reads back with its Z axis
    write_class_stack(tmp_path / "one.tif", one, colours)
    np.testing.assert_array_equal(read_label_stack(tmp_path / "one.tif", colours)[0], one[7])


def test_a_value_outside_the_label_values_is_an_error_naming_the_file(tmp_path):
    tifffile.imwrite(tmp_path / "odd.tif", np.full((1, 3, 3), 7, dtype=np.uint16))
    with pytest.raises(ValueError, match=r"odd\.tif: values outside the label values"):
        read_label_stack(tmp_path / "odd.tif", [0, 1000])


def test_stacks_past_the_imagej_limit_are_bigtiff(tmp_path, monkeypatch):
    monkeypatch.setattr(xrayseg.io.labelfiles, "IMAGEJ_LIMIT", 10)
    slices = [np.full((2, 3), v, np.uint16) for v in (0, 1000)]
    write_label_stack(tmp_path / "big.tif", iter(slices), (2, 2, 3), np.uint16)
    with tifffile.TiffFile(tmp_path / "big.tif") as tiff:
        assert tiff.is_bigtiff and not tiff.is_imagej
        np.testing.assert_array_equal(tiff.asarray(), np.stack(slices))


def test_label_lookup_maps_classes_to_the_training_label_values():
    grey = label_lookup([0, 128, 255])
    assert grey.dtype == np.uint8 and grey[np.array([[2, 0]])].tolist() == [[255, 0]]
    assert label_lookup([0, 1000]).dtype == np.uint16
    rgb = label_lookup([[0, 0, 255], [0, 255, 0]])
    assert rgb.dtype == np.uint8 and rgb[np.array([[1]])].shape == (1, 1, 3)
    with pytest.raises(ValueError, match="not integers"):
        label_lookup([0, 0.5])


def test_probability_file_records_slices_names_classes_and_model(tmp_path):
    colours = [[0, 0, 255], [0, 255, 0]]
    writer = ProbabilityFile(
        tmp_path / "p.h5", [4, 9], ["a.tif", "b.tif"], (2, 2), ["x", "y"], colours, "unet"
    )
    writer.write(9, np.full((2, 2, 2), 0.25, np.float32))
    writer.close()
    with h5py.File(tmp_path / "p.h5") as f:
        assert f["probabilities"].shape == (2, 2, 2, 2) and f["probabilities"].dtype == np.float16
        assert f["probabilities"][1].tolist() == np.full((2, 2, 2), 0.25).tolist()
        assert f["slice_index"][:].tolist() == [4, 9]
        assert [n.decode() for n in f["slice_name"][:]] == ["a.tif", "b.tif"]
        assert json.loads(f.attrs["label_values"]) == colours
        assert json.loads(f.attrs["class_names"]) == ["x", "y"] and f.attrs["model"] == "unet"
