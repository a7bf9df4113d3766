"""The uncertainty maps' HDF5 layout: float16 maps per slice, the slice table, the attributes, and
per-slice means that leave undefined pixels out."""

import json

import h5py
import numpy as np
import pytest

from xrayseg.io.uncertainty import UncertaintyFile, slice_means


def test_maps_are_written_per_slice_and_read_back_as_means(tmp_path):
    path = tmp_path / "uncertainty.h5"
    maps = UncertaintyFile(
        path,
        [4, 7],
        ["a.tif", "b.tif"],
        (3, 2),
        ("uncertainty", "flip_disagreement"),
        "m",
        1.5,
        True,
    )
    first = np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.6]], np.float32)
    maps.write(7, {"uncertainty": first, "flip_disagreement": first / 2})
    maps.write(4, {"uncertainty": np.full((3, 2), np.nan), "flip_disagreement": first})
    maps.close()
    with h5py.File(path) as saved:
        assert saved["uncertainty"].dtype == np.float16 and saved["uncertainty"].shape == (2, 3, 2)
        assert saved["slice_index"][:].tolist() == [4, 7]
        assert saved["slice_name"].asstr()[:].tolist() == ["a.tif", "b.tif"]
        assert json.loads(saved.attrs["temperature"]) == 1.5 and saved.attrs["model"] == "m"
        assert json.loads(saved.attrs["maps"]) == ["uncertainty", "flip_disagreement"]
    means = slice_means(path)
    assert np.isnan(means[4])
    assert means[7] == pytest.approx(np.nanmean(first), abs=1e-3)
    assert slice_means(path, "flip_disagreement")[7] == pytest.approx(np.nanmean(first) / 2, 1e-3)
    with pytest.raises(ValueError, match="no 'other' map"):
        slice_means(path, "other")


def test_slice_names_must_match_the_slices(tmp_path):
    with pytest.raises(ValueError, match="1 slice names for 2 slices"):
        UncertaintyFile(tmp_path / "u.h5", [0, 1], ["a"], (2, 2), ("uncertainty",), "m", None, True)
