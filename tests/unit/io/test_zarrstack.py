"""Zarr arrays (v2 and v3, OME-Zarr levels) as scans and label stacks, and their clear errors."""

import numpy as np
import pytest
import zarr

from xrayseg.io.readers import open_slices
from xrayseg.prediction.scan import NewScan
from xrayseg.settings.predict import scan_slice_count
from xrayseg.settings.specs import data_problems, parse_spec, spec_bytes, spec_files, zarr_shape

NORMALISATION = {"low": 0.0, "high": 100.0}


def volume(shape=(5, 6, 7), dtype=np.uint16):
    return (np.arange(np.prod(shape)) % 97).reshape(shape).astype(dtype)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_an_array_at_the_root_of_a_store_reads_slice_by_slice_and_in_runs(tmp_path, zarr_format):
    data = volume()
    zarr.create_array(
        str(tmp_path / "scan.zarr"), data=data, chunks=(2, 3, 7), zarr_format=zarr_format
    )
    spec = str(tmp_path / "scan.zarr")
    with open_slices(spec) as source:
        assert source.kind == "zarr" and len(source) == 5
        np.testing.assert_array_equal(source.read(3), data[3])
        np.testing.assert_array_equal(source.read_block(1, 4), data[1:4])
        assert source.names[2] == "scan.zarr[2]"
        part = source.select([4, 0])
        np.testing.assert_array_equal(part.read(0), data[4])
    assert parse_spec(spec).kind == "zarr"
    assert zarr_shape(spec) == ((5, 6, 7), 2)
    assert spec_bytes(spec) == data.nbytes
    assert scan_slice_count(spec) == 5
    assert len(spec_files(spec)) == 1  # the array's metadata file stands for the store


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_an_ome_zarr_images_full_resolution_is_read_by_its_path(tmp_path, zarr_format):
    data = volume()
    group = zarr.open_group(str(tmp_path / "scan.ome.zarr"), mode="w", zarr_format=zarr_format)
    group.create_array("0", data=data)
    group.create_array("1", data=data[::2, ::2, ::2])
    spec = f"{tmp_path / 'scan.ome.zarr'}/0"
    with NewScan(spec, NORMALISATION) as scan:
        assert len(scan) == 5 and scan.shape == (6, 7)
        np.testing.assert_allclose(scan.block(0, 5), data / 100.0, rtol=1e-6)
        np.testing.assert_array_equal(scan.block(1, 3), np.stack([scan[1], scan[2]]))
        assert scan.names[0] == "scan.ome.zarr/0[0]"
    assert scan_slice_count(spec) == 5
    assert scan_slice_count(f"{tmp_path / 'scan.ome.zarr'}:1") == 3


def test_a_store_without_the_array_names_the_arrays_it_holds(tmp_path):
    group = zarr.open_group(str(tmp_path / "scan.ome.zarr"), mode="w", zarr_format=2)
    group.create_array("0", data=volume())
    store = tmp_path / "scan.ome.zarr"
    with pytest.raises(
        ValueError, match=r"no array at its root \(a group is there\).*0 \(5, 6, 7\)"
    ):
        open_slices(str(store))
    with pytest.raises(ValueError, match=r"no array at '2'.*Arrays of 3 or more dimensions.*0 "):
        open_slices(f"{store}/2")
    with pytest.raises(ValueError, match="does not exist or is not a Zarr store"):
        open_slices(str(tmp_path / "missing.zarr"))
    assert spec_files(str(store)) == [] and spec_files(f"{store}/2") == []


def test_config_checks_say_where_an_ome_zarr_image_keeps_its_full_resolution(tmp_path):
    group = zarr.open_group(str(tmp_path / "scan.ome.zarr"), mode="w", zarr_format=2)
    group.create_array("0", data=volume())
    data = {
        "source": "files",
        "raw": str(tmp_path / "scan.ome.zarr"),
        "labels": f"{tmp_path / 'scan.ome.zarr'}/0",
        "label_values": [0, 1],
        "class_names": ["a", "b"],
    }
    [(key, problem)] = data_problems(data)
    assert key == "data.raw" and "scan.ome.zarr/0" in problem


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((4, 5), np.uint16), r"must be a Z x Y x X .* got shape \(4, 5\)"),
        (np.zeros((2, 3, 4, 5, 6), np.uint16), r"got shape \(2, 3, 4, 5, 6\)"),
        (np.zeros((3, 4, 5), bool), "holds bool values; slices must be integer or float"),
    ],
    ids=["2-D", "5-D", "bool"],
)
def test_an_array_of_the_wrong_shape_or_kind_is_refused(tmp_path, data, message):
    zarr.create_array(str(tmp_path / "bad.zarr"), data=data)
    with pytest.raises(ValueError, match=message):
        open_slices(str(tmp_path / "bad.zarr"))


def test_nan_grey_values_are_refused_with_the_slices_named(tmp_path):
    data = volume(dtype=np.float32)
    data[3, 2, 2] = np.nan
    zarr.create_array(str(tmp_path / "scan.zarr"), data=data, chunks=(5, 6, 7))
    with NewScan(str(tmp_path / "scan.zarr"), NORMALISATION) as scan:
        scan.block(0, 3)
        with pytest.raises(ValueError, match=r"scan.zarr\[3\] .*NaN or infinite"):
            scan.block(2, 5)
