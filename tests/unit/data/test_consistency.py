"""The checks across slices: one stack (dtype and grey-value range), every class in the train
block, raw and labels the right way round. Each bad case is built, and its near miss that must
pass (a dark slice, a slow drift, a class missing from val only) too."""

import numpy as np
import pytest

from xrayseg.data.consistency import (
    StackRanges,
    class_presence_problems,
    classes_present,
    looks_like_labels,
    swapped_problem,
)
from xrayseg.data.labels import LabelMapping
from xrayseg.io.volume import IGNORE_INDEX

SPLITS = ["train"] * 5 + ["guard"] + ["val"] * 2 + ["guard"] + ["test"] * 3
NAMES = ["pore", "YSZ", "Ni"]
VALUES = [0, 128, 255]


def scan_slices(n=12, shape=(20, 24), seed=0, offset=0.0):
    """uint16 slices of three phases (grey 10000, 25000, 40000) with noise; `offset` per slice
    added along the stack (a drift)."""
    rng = np.random.default_rng(seed)
    slices = []
    for z in range(n):
        phases = rng.integers(0, 3, size=shape)
        grey = np.array([10000, 25000, 40000])[phases] + rng.normal(0, 800, shape) + offset * z
        slices.append(np.clip(grey, 0, 65535).astype(np.uint16))
    return slices


def ranges_of(slices):
    ranges = StackRanges("data/raw")
    for z, pixels in enumerate(slices):
        ranges.add(f"s{z:02d}.tif", pixels)
    return ranges


def test_a_consistent_stack_passes():
    assert ranges_of(scan_slices()).problems() == []


def test_a_slow_drift_and_a_dark_slice_pass():
    slices = scan_slices(offset=600.0)  # the last slice 6600 brighter than the first
    # pore only (outside the sample): darker than any other slice, but its grey values overlap
    # theirs
    slices[4] = (10000 + 2400 + np.random.default_rng(2).normal(0, 800, (20, 24))).astype(np.uint16)
    assert ranges_of(slices).problems() == []


def test_an_8_bit_slice_among_16_bit_ones_is_named_with_the_evidence():
    slices = scan_slices()
    slices[7] = (slices[7] // 256).astype(np.uint8)
    (problem,) = ranges_of(slices).problems()
    assert problem.startswith("s07.tif is uint8 with grey values ")
    assert "but 11 of the 12 slices of data/raw are uint16 with grey values " in problem
    assert "another bit depth" in problem and "export it like the others" in problem


def test_8_bit_values_in_a_16_bit_file():
    slices = scan_slices()
    slices[3] = slices[3] // 256
    (problem,) = ranges_of(slices).problems()
    assert problem.startswith("s03.tif has grey values ")
    assert "only 8-bit values in a uint16 file" in problem


def test_a_slice_whose_grey_values_no_other_slice_shares():
    slices = scan_slices()
    for z in (2, 9):
        slices[z] = (slices[z] // 16 + 60000).astype(np.uint16)
    (problem,) = ranges_of(slices).problems()
    assert problem.startswith("s02.tif has grey values ")
    assert "s09.tif has grey values " in problem
    assert "which no other slice of data/raw shares" in problem
    assert "export them like the others, or leave them and their partner out" in problem


def test_many_outliers_are_summarised():
    slices = [(s // 256).astype(np.uint8) if z < 5 else s for z, s in enumerate(scan_slices())]
    (problem,) = ranges_of(slices).problems()
    assert "s00.tif is uint8" in problem and "s02.tif is uint8" in problem
    assert "s03.tif" not in problem and "(5 in all)" in problem


def presence(splits, present_in):
    """A bool per slice and class: class c present in the slices present_in[c]."""
    present = np.zeros((len(splits), len(NAMES)), dtype=bool)
    for c, slices in enumerate(present_in):
        present[slices, c] = True
    return present


def test_every_class_in_the_train_block_passes():
    every = range(len(SPLITS))
    assert class_presence_problems(presence(SPLITS, [every] * 3), SPLITS, NAMES, VALUES) == []
    # missing from val only: scored as undefined there, but learnt
    present = presence(SPLITS, [every, every, [0, 10]])
    assert class_presence_problems(present, SPLITS, NAMES, VALUES) == []


def test_a_class_missing_from_the_train_block_names_where_it_is_and_the_fixes():
    every = range(len(SPLITS))
    present = presence(SPLITS, [every, every, [5, 6, 7, 10]])
    (problem,) = class_presence_problems(present, SPLITS, NAMES, VALUES)
    assert problem.startswith(
        "class 'Ni' (label value 255) occurs in no slice of the train block (slices 0-4), only "
        "in 2 val slices and 1 test slice and 1 guard slice: no model can learn it."
    )
    for fix in ("split.val_fraction", "label it in a train slice", "drop the class"):
        assert fix in problem


def test_a_class_in_no_slice():
    every = range(len(SPLITS))
    (problem,) = class_presence_problems(
        presence(SPLITS, [every, [], every]), SPLITS, NAMES, VALUES
    )
    assert problem.startswith("class 'YSZ' (label value 128) occurs in no labelled slice")


def test_classes_present_leaves_out_the_ignored_pixels():
    classes = np.array([[0, IGNORE_INDEX], [2, 2]], dtype=np.uint8)
    assert classes_present(classes, 3).tolist() == [True, False, True]


class Source:
    """A SliceSource of arrays in memory (None: no label file)."""

    def __init__(self, spec, images):
        self.spec, self.items = spec, list(images)

    def __len__(self):
        return len(self.items)

    def name(self, z):
        return f"{self.spec}/{z:03d}.tif"

    def read(self, z):
        return self.items[z]


@pytest.fixture
def pair():
    """(scan, label image) of one slice."""
    rng = np.random.default_rng(1)
    classes = rng.integers(0, 3, size=(10, 12))
    scan = (np.array([10000, 25000, 40000])[classes] + rng.normal(0, 500, classes.shape)).astype(
        np.uint16
    )
    return scan, np.array(VALUES, dtype=np.uint8)[classes]


def test_swapped_raw_and_labels_are_named(pair):
    scan, labels = pair
    mapping = LabelMapping(VALUES)
    problem = swapped_problem(Source("labels", [labels]), Source("raw", [scan]), mapping)
    assert problem.startswith(
        "data.raw and data.labels look swapped: raw slice labels/000.tif holds only label "
        "values, and label slice raw/000.tif holds "
    )
    assert problem.endswith("swap 'labels' and 'raw' in the config's data section")


def test_the_right_way_round_or_with_a_few_odd_pixels_is_not_swapped(pair):
    scan, labels = pair
    mapping = LabelMapping(VALUES)
    assert swapped_problem(Source("raw", [scan]), Source("labels", [labels]), mapping) is None
    odd = labels.copy()
    odd[:2] = 7  # stray values, fewer than half the pixels: the unknown-values error says so
    assert swapped_problem(Source("labels", [labels]), Source("raw", [odd]), mapping) is None


def test_swapped_is_judged_on_the_first_labelled_slice(pair):
    scan, labels = pair
    mapping = LabelMapping(VALUES)
    raw, label_side = Source("labels", [labels, labels]), Source("raw", [None, scan])
    assert "label slice raw/001.tif" in swapped_problem(raw, label_side, mapping)


def test_looks_like_labels_needs_two_classes_of_the_right_kind(pair):
    scan, labels = pair
    assert looks_like_labels(labels, LabelMapping(VALUES))
    assert not looks_like_labels(np.zeros((4, 4), np.uint8), LabelMapping(VALUES))
    assert not looks_like_labels(scan, LabelMapping(VALUES))
    assert not looks_like_labels(labels, LabelMapping([[0, 0, 0], [255, 0, 0]]))
