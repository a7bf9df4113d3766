import numpy as np
import pytest
import tifffile

from helpers.ingest_data import phantom, write_folder, write_h5
from xrayseg.io.readers import open_slices, read_image_file
from xrayseg.settings.specs import parse_spec, spec_files


@pytest.mark.parametrize(
    ("dtype", "compression"),
    [
        (np.uint8, None),
        (np.uint16, "packbits"),
        (np.uint16, "lzw"),
        (np.float32, "deflate"),
    ],
)
def test_single_slice_tiffs_round_trip(tmp_path, dtype, compression):
    array = (np.arange(6 * 7).reshape(6, 7) * 3).astype(dtype)
    tifffile.imwrite(tmp_path / "s1.tif", array, compression=compression)
    read = read_image_file(tmp_path / "s1.tif")
    assert read.dtype == dtype
    np.testing.assert_array_equal(read, array)


def test_png_slices_round_trip_8_and_16_bit_grey_and_rgb(tmp_path):
    grey = (np.arange(5 * 6).reshape(5, 6) * 7).astype(np.uint8)
    grey16 = grey.astype(np.uint16) * 1000
    rgb = np.stack([grey, grey[::-1], grey[:, ::-1]], axis=-1)
    write_folder(tmp_path, [grey, grey16, rgb], ["g.png", "g16.png", "c.png"])
    np.testing.assert_array_equal(read_image_file(tmp_path / "g.png"), grey)
    np.testing.assert_array_equal(read_image_file(tmp_path / "g16.png"), grey16)
    np.testing.assert_array_equal(read_image_file(tmp_path / "c.png"), rgb)


def test_folder_source_lists_only_image_files(tmp_path):
    raw, _ = phantom(n_slices=3)
    write_folder(tmp_path, raw, ["a_1.tif", "a_2.tiff", "a_3.png"])
    (tmp_path / "notes.txt").write_text("not a slice")
    source = open_slices(tmp_path)
    assert source.kind == "files"
    assert sorted(source.names) == ["a_1.tif", "a_2.tiff", "a_3.png"]
    assert spec_files(str(tmp_path / "a_*.tif*")) == [tmp_path / "a_1.tif", tmp_path / "a_2.tiff"]


@pytest.mark.parametrize("imagej", [False, True])
def test_multi_page_tiff_reads_page_by_page(tmp_path, imagej):
    raw, _ = phantom(n_slices=5)
    tifffile.imwrite(tmp_path / "scan.tif", raw, imagej=imagej)
    with open_slices(tmp_path / "scan.tif") as source:
        assert source.kind == "stack"
        assert len(source) == 5
        np.testing.assert_array_equal(source.read(3), raw[3])
        assert source.names[3] == "scan.tif[3]"
        part = source.select([4, 1])
        np.testing.assert_array_equal(part.read(0), raw[4])
        assert part.files == [tmp_path / "scan.tif"]


def test_rgb_tiff_stack_gives_colour_slices(tmp_path):
    colours = np.zeros((3, 4, 5, 3), dtype=np.uint8)
    colours[1, ..., 2] = 255
    tifffile.imwrite(tmp_path / "labels.tiff", colours, photometric="rgb")
    with open_slices(tmp_path / "labels.tiff") as source:
        assert len(source) == 3
        np.testing.assert_array_equal(source.read(1), colours[1])


def test_hdf5_dataset_reads_slices(tmp_path):
    raw, _ = phantom(n_slices=4)
    spec = write_h5(tmp_path / "scan.h5", "/exchange/data", raw)
    assert parse_spec(spec).dataset == "/exchange/data"
    assert spec_files(spec) == [tmp_path / "scan.h5"]
    with open_slices(spec) as source:
        assert source.kind == "hdf5"
        assert len(source) == 4
        np.testing.assert_array_equal(source.read(2), raw[2])


def test_hdf5_without_dataset_lists_the_candidates(tmp_path):
    raw, _ = phantom(n_slices=4)
    write_h5(tmp_path / "scan.h5", "/exchange/data", raw)
    with pytest.raises(ValueError, match=r"scan.h5:/path/to/dataset.*/exchange/data \(4, 14, 17\)"):
        open_slices(tmp_path / "scan.h5")
    with pytest.raises(ValueError, match="has no dataset '/wrong'"):
        open_slices(f"{tmp_path / 'scan.h5'}:/wrong")


def test_spec_kinds(tmp_path):
    (tmp_path / "folder").mkdir()
    assert parse_spec(tmp_path / "folder").kind == "folder"
    assert parse_spec(tmp_path / "scan.tif").kind == "stack"
    assert parse_spec(tmp_path / "s*.tif").kind == "glob"
    assert parse_spec("x/scan.HDF5:/a/b").kind == "hdf5"
    assert parse_spec("x/scan.h5").dataset is None


def test_a_stack_inside_a_folder_of_slices_is_an_error(tmp_path):
    raw, _ = phantom(n_slices=3)
    tifffile.imwrite(tmp_path / "s1.tif", raw, photometric="minisblack")
    with pytest.raises(ValueError, match="s1.tif is a stack of 3 pages"):
        read_image_file(tmp_path / "s1.tif")


def test_unsupported_file_type_names_the_file(tmp_path):
    (tmp_path / "s1.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ValueError, match=r"s1.jpg: unsupported file type '.jpg'"):
        read_image_file(tmp_path / "s1.jpg")


@pytest.mark.parametrize("name", ["s1.png", "s1.tif"])
def test_truncated_slice_file_names_the_file(tmp_path, name):
    raw, _ = phantom(n_slices=1)
    write_folder(tmp_path, raw, [name])
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"cannot read {tmp_path / name}.*truncated"):
        read_image_file(tmp_path / name)


def test_truncated_stack_names_the_file_and_page(tmp_path):
    raw, _ = phantom(n_slices=6)
    tifffile.imwrite(tmp_path / "scan.tif", raw, compression="packbits")
    data = (tmp_path / "scan.tif").read_bytes()
    (tmp_path / "scan.tif").write_bytes(data[: len(data) - 600])
    with (
        pytest.raises(ValueError, match=r"cannot read .*scan.tif"),
        open_slices(tmp_path / "scan.tif") as source,
    ):
        for z in range(len(source)):
            source.read(z)


def test_hdf5_dataset_of_the_wrong_shape_or_a_group(tmp_path):
    raw, _ = phantom(n_slices=2)
    write_h5(tmp_path / "scan.h5", "/flat", raw[0])
    write_h5(tmp_path / "scan.h5", "/group/data", raw)
    with pytest.raises(ValueError, match=r"scan.h5:/flat must be .* got shape \(14, 17\)"):
        open_slices(f"{tmp_path / 'scan.h5'}:/flat")
    with pytest.raises(ValueError, match=r"scan.h5:/group must be .* got a group"):
        open_slices(f"{tmp_path / 'scan.h5'}:/group")
