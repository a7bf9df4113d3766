"""Evaluation's prediction files carry the input's label values, grey or RGB."""

import json

import h5py
import numpy as np
import tifffile

from xrayseg.evaluation.files import ProbabilityWriter, write_prediction_stack

PREDICTIONS = {3: np.array([[0, 1], [2, 0]], np.uint8), 5: np.array([[1, 1], [2, 2]], np.uint8)}


def test_grey_label_values_give_a_grey_stack_in_slice_order(tmp_path):
    write_prediction_stack(PREDICTIONS, [0, 128, 255], tmp_path / "p.tif")
    stack = tifffile.imread(tmp_path / "p.tif")
    assert stack.shape == (2, 2, 2) and stack.dtype == np.uint8
    assert stack[0].tolist() == [[0, 128], [255, 0]] and stack[1].tolist() == [
        [128, 128],
        [255, 255],
    ]


def test_rgb_label_values_give_an_rgb_stack(tmp_path):
    colours = [[0, 0, 255], [0, 255, 0], [255, 0, 0]]
    write_prediction_stack(PREDICTIONS, colours, tmp_path / "p.tif")
    stack = tifffile.imread(tmp_path / "p.tif")
    assert stack.shape == (2, 2, 2, 3)
    assert stack[0, 0, 1].tolist() == [0, 255, 0] and stack[1, 1, 0].tolist() == [255, 0, 0]


def test_probability_file_records_rgb_label_values(tmp_path):
    colours = [[0, 0, 255], [0, 255, 0]]
    writer = ProbabilityWriter(tmp_path / "p.h5", [4], 2, (2, 2), ["a", "b"], colours)
    writer.close()
    with h5py.File(tmp_path / "p.h5") as f:
        assert json.loads(f.attrs["label_values"]) == colours
