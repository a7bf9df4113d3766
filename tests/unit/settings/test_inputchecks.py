"""Input files checked at start-up from a listing and stat(): each names the cause that would
surface later as a symptom (a slice without a partner, an unreadable file, no grey spread)."""

import os
from pathlib import Path

import pytest

from xrayseg.settings.inputchecks import entry_problem, input_problems, same_source, spec_problems


@pytest.fixture
def folder(tmp_path):
    """A folder of three good slice files."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for z in range(3):
        (raw / f"s{z}.tif").write_bytes(b"II*\0 data")
    return raw


def test_a_good_file_is_no_problem(folder):
    assert entry_problem(folder / "s0.tif") is None
    assert spec_problems("data.raw", str(folder)) == []


def test_a_broken_link_names_where_it_points(folder):
    (folder / "s1.tif").unlink()
    (folder / "s1.tif").symlink_to("/gone/s1.tif")
    assert entry_problem(folder / "s1.tif") == (
        f"{folder}/s1.tif is a broken link (to /gone/s1.tif); copy the file there"
    )


def test_a_folder_an_empty_file_and_a_name_that_is_not_utf8(folder):
    (folder / "s1.tif").unlink()
    (folder / "s1.tif").mkdir()
    (folder / "s2.tif").write_bytes(b"")
    assert entry_problem(folder / "s1.tif").endswith(
        "is a folder, not an image file; move it out of the data"
    )
    assert entry_problem(folder / "s2.tif").endswith("s2.tif is empty (0 bytes); copy it again")
    odd = Path(os.fsdecode(os.fsencode(folder) + b"/s\xff3.tif"))
    odd.write_bytes(b"II*\0")
    problem = entry_problem(odd)
    assert problem == f"{folder}/s\\xff3.tif has a name that is not valid UTF-8; rename it"


def test_many_bad_files_are_one_line_with_their_count(folder):
    for z in range(3):
        (folder / f"s{z}.tif").write_bytes(b"")
    ((key, problem),) = spec_problems("data.raw", str(folder / "*.tif"))
    assert key == "data.raw"
    assert problem.startswith("3 files cannot be slices: ")
    assert problem.endswith("fix them or remove them (and their partners) from the data")


def test_same_source_compares_the_files_and_an_hdf5_files_datasets(folder, tmp_path):
    assert same_source(str(folder), str(folder / "*.tif"))
    other = tmp_path / "labels"
    other.mkdir()
    (other / "s0.tif").write_bytes(b"II*\0")
    assert not same_source(str(folder), str(other))
    h5 = tmp_path / "scan.h5"
    h5.write_bytes(b"")
    assert not same_source(f"{h5}:/raw", f"{h5}:/labels")
    assert same_source(f"{h5}:/raw", f"{h5}:/raw")


def config_of(raw, labels, percentiles=(0.5, 99.5), predict=None):
    data = {
        "source": "files",
        "raw": str(raw),
        "labels": str(labels),
        "normalise_percentiles": list(percentiles),
    }
    return {"data": data, "predict": predict or {}}


def test_input_problems_name_the_key(folder, tmp_path):
    assert input_problems(config_of(folder, folder / "*.tif"))[0][0] == "data.labels"
    ((key, problem),) = input_problems(config_of(folder, tmp_path, percentiles=(99.5, 0.5)))
    assert key == "data.normalise_percentiles"
    assert problem.startswith("[99.5, 0.5]: give the low percentile first")
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "a.tif").write_bytes(b"")
    predict = {"new": {"raw": str(scan)}}
    ((key, problem),) = input_problems(config_of(folder, tmp_path, predict=predict))
    assert key == "predict.new.raw" and "is empty (0 bytes)" in problem


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_zarr_store_is_a_folder_of_chunks_not_a_bad_slice(tmp_path, zarr_format):
    """A Zarr scan is a folder by design: only its array's metadata file is checked here."""
    import numpy as np
    import zarr

    store = tmp_path / "scan.zarr"
    zarr.create_array(str(store), data=np.ones((2, 4, 4), np.uint16), zarr_format=zarr_format)
    assert spec_problems("predict.scan.raw", str(store)) == []
    if zarr_format == 2:  # (an unreadable v3 zarr.json is no array: the reader says so)
        (store / ".zarray").write_bytes(b"")
        assert "is empty" in spec_problems("predict.scan.raw", str(store))[0][1]
