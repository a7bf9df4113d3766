import logging

import numpy as np
import pytest
import tifffile

from helpers.ingest_data import phantom, write_folder
from xrayseg.data.pairing import (
    natural_key,
    numbering_offset,
    ordered_paths,
    pair_slices,
    pair_sources,
    slice_number,
)
from xrayseg.io.errors import InputError
from xrayseg.io.readers import open_slices


def test_slice_number_takes_the_last_digits():
    assert slice_number("SOCprist0007.tiff") == 7
    assert slice_number("/a/b2/slice__007.tif") == 7
    assert slice_number("scan_2_z0012.png") == 12
    assert slice_number("labels.tif") is None


def test_pairs_by_number_not_by_listing_order():
    raw = ["r/SOCprist0010.tiff", "r/SOCprist0002.tiff", "r/SOCprist0001.tiff"]
    labels = ["l/slice__001.tif", "l/slice__010.tif", "l/slice__002.tif"]
    pairs = pair_slices(raw, labels)
    assert [(p.name, q.name) for p, q in pairs] == [
        ("SOCprist0001.tiff", "slice__001.tif"),
        ("SOCprist0002.tiff", "slice__002.tif"),
        ("SOCprist0010.tiff", "slice__010.tif"),
    ]


def test_unpaired_slice_is_named():
    with pytest.raises(ValueError, match="SOCprist0003.tiff"):
        pair_slices(
            ["SOCprist0001.tiff", "SOCprist0003.tiff"], ["slice__001.tif", "slice__002.tif"]
        )


def test_different_counts_are_reported():
    with pytest.raises(ValueError, match="2 raw files but 1 label files"):
        pair_slices(["a1.tif", "a2.tif"], ["b1.tif"])


def test_names_without_numbers_pair_by_natural_sort():
    pairs = pair_slices(["b.tif", "a.tif"], ["y.tif", "x.tif"])
    assert [(p.name, q.name) for p, q in pairs] == [("a.tif", "x.tif"), ("b.tif", "y.tif")]
    assert sorted(["s10", "s2", "s1"], key=natural_key) == ["s1", "s2", "s10"]


def test_unpaired_slice_with_equal_counts_is_named_on_both_sides():
    with pytest.raises(ValueError, match=r"SOCprist0003.tiff.*slice__004.tif"):
        pair_slices(
            ["SOCprist0001.tiff", "SOCprist0003.tiff"], ["slice__001.tif", "slice__004.tif"]
        )


def test_duplicate_slice_numbers_are_an_error():
    with pytest.raises(ValueError, match="same slice number 7"):
        pair_slices(["a07.tif", "a007.tif"], ["b7.tif", "b8.tif"])


def test_a_duplicate_number_on_one_side_is_named_before_the_count_it_skews():
    # A copy of one raw slice under another name: 3 raw files for 2 label files, but the cause
    # is the copy, not a missing label file.
    with pytest.raises(InputError, match="raw files a5.tif and a05.tif carry the same slice num"):
        pair_slices(["a5.tif", "a05.tif", "a6.tif"], ["b5.tif", "b6.tif"])


def test_a_lonely_label_file_count_mismatch_says_what_to_do():
    with pytest.raises(InputError, match=r"label slices with no raw partner: \[b9.tif\]; add"):
        pair_slices(["a1.tif"], ["b1.tif", "b9.tif"])


def test_numbers_counted_from_another_start_are_named_as_an_offset():
    raw = [f"SOCprist{z:04d}.tiff" for z in range(1, 5)]
    labels = [f"slice__{z:03d}.tif" for z in range(4)]
    with pytest.raises(InputError, match=r"numbered 1..4 and the label files 0..3: .*offset of -1"):
        pair_slices(raw, labels)
    # One lonely file on each side is no offset.
    assert numbering_offset([1, 2, 3], [1, 2, 4]) is None
    assert numbering_offset([1, 2, 3], [11, 12, 13]) == 10
    assert numbering_offset([1], [2]) is None


def test_ordered_paths_sort_by_number_then_naturally(caplog):
    assert [p.name for p in ordered_paths(["s10.tif", "s9.tif", "s100.tif"])] == [
        "s9.tif",
        "s10.tif",
        "s100.tif",
    ]
    with caplog.at_level(logging.WARNING):
        assert [p.name for p in ordered_paths(["b.tif", "a.tif"])] == ["a.tif", "b.tif"]
    assert "natural sort" in caplog.text


def test_stack_pairs_with_files_by_index_in_number_order(tmp_path):
    raw, classes = phantom(n_slices=3)
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    write_folder(tmp_path / "labels", classes[::-1], ["l_10.tif", "l_9.tif", "l_8.tif"])
    with open_slices(tmp_path / "scan.tif") as stack:
        raw_source, label_source = pair_sources(stack, open_slices(tmp_path / "labels"))
        assert label_source.names == ["l_8.tif", "l_9.tif", "l_10.tif"]
        np.testing.assert_array_equal(label_source.read(0), classes[0])
        np.testing.assert_array_equal(raw_source.read(0), raw[0])


def test_stack_and_files_of_different_counts_are_an_error(tmp_path):
    raw, classes = phantom(n_slices=4)
    tifffile.imwrite(tmp_path / "scan.tif", raw, photometric="minisblack")
    write_folder(tmp_path / "labels", classes[:3], ["l1.tif", "l2.tif", "l3.tif"])
    with (
        open_slices(tmp_path / "scan.tif") as stack,
        pytest.raises(ValueError, match="holds 4 slices but labels .* hold 3"),
    ):
        pair_sources(stack, open_slices(tmp_path / "labels"))
