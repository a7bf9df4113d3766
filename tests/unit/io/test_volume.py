"""volume.h5's metadata: written by volume_attrs, read back by read_volume_info."""

import h5py
import numpy as np
import pytest

from xrayseg.io.volume import read_volume_info, volume_attrs


def write_volume(path, attrs):
    with h5py.File(path, "w") as volume:
        volume["raw"] = np.zeros((3, 4, 5), np.float32)
        volume.attrs.update(attrs)
    return path


def test_metadata_reads_back_as_written(tmp_path):
    attrs = volume_attrs(
        class_names=["pore", "YSZ", "Ni"],
        label_values=[0, 1000, 2000],
        normalisation=(17000.0, 46000.0),
        percentiles=[0.5, 99.5],
        raw_names=["a1.tif", "a2.tif", "a3.tif"],
        label_names=["l1.tif", "l2.tif", "l3.tif"],
        sources=("raw/*.tif", "labels"),
        mask=None,
        label_kind="grey",
        slice_range=[0, 3],
        config_hash="abc",
    )
    info = read_volume_info(write_volume(tmp_path / "volume.h5", attrs))
    assert info.shape == (3, 4, 5)
    assert info.class_names == ["pore", "YSZ", "Ni"] and info.label_values == [0, 1000, 2000]
    assert info.normalisation == {"low": 17000.0, "high": 46000.0}
    assert info.raw_names == ["a1.tif", "a2.tif", "a3.tif"]
    assert (info.raw_source, info.labels_source) == ("raw/*.tif", "labels")
    assert info.mask_value is None and info.norm_percentiles == [0.5, 99.5]
    assert info.label_facts() == {
        "class_names": ["pore", "YSZ", "Ni"],
        "label_values": [0, 1000, 2000],
        "normalisation": {"low": 17000.0, "high": 46000.0},
    }


def test_a_missing_fact_is_an_error_naming_the_file_and_the_attribute(tmp_path):
    info = read_volume_info(write_volume(tmp_path / "old.h5", {"class_names": '["a"]'}))
    assert info.class_names == ["a"]
    with pytest.raises(ValueError, match=r"old\.h5: no attribute 'norm_low'"):
        info.normalisation  # noqa: B018


def test_a_file_that_is_no_volume_is_an_error_naming_it(tmp_path):
    (tmp_path / "volume.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match=r"volume\.h5: cannot read it as an ingested volume"):
        read_volume_info(tmp_path / "volume.h5")
