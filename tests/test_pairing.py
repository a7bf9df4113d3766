import pytest

from xrayseg.pairing import natural_key, pair_slices, slice_number


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
