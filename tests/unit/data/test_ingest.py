"""Every input layout ingests into the same volume.h5, summary.csv and figure."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    N_SLICES,
    RGB_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    rgb_labels,
    write_folder,
    write_h5,
    write_real_layout,
)
from xrayseg.data.ingest import ingest_volume
from xrayseg.data.summary import HIST_BINS, HIST_RANGE
from xrayseg.io.volume import IGNORE_INDEX

TRAIN = slice(0, 5)  # the train block of 12 slices under SPLIT


def ingest(tmp_path, raw_spec, labels_spec, **settings):
    """Ingest into tmp_path/out; the figure (slow to draw) only where a test asks for it."""
    out = tmp_path / "out"
    arguments = {
        "label_values": GREY_VALUES,
        "class_names": CLASS_NAMES,
        "split": SPLIT,
        "percentiles": [1, 99],
        "out_path": out / "volume.h5",
        "summary_path": out / "summary.csv",
        **settings,
    }
    ingest_volume(raw_spec=str(raw_spec), labels_spec=str(labels_spec), **arguments)
    with h5py.File(out / "volume.h5", "r") as volume:
        return {
            "raw": volume["raw"][:],
            "labels": volume["labels"][:],
            "attrs": dict(volume.attrs),
            "chunks": volume["raw"].chunks,
            "compression": volume["raw"].compression,
        }


def expected_raw(raw, percentiles=(1, 99)):
    low, high = np.percentile(raw[TRAIN].astype(np.float64), percentiles)
    return ((raw.astype(np.float32) - np.float32(low)) / np.float32(high - low)), low, high


def test_real_layout_pairs_by_number_and_normalises_from_train_slices(tmp_path):
    raw, classes = phantom()
    raw[9:] += 20000  # test slices far brighter: they must not move the normalisation
    raw_dir, label_dir = write_real_layout(tmp_path, raw, grey_labels(classes))
    volume = ingest(tmp_path, raw_dir, label_dir)

    normalised, low, high = expected_raw(raw)
    assert volume["attrs"]["norm_low"] == pytest.approx(low)
    assert volume["attrs"]["norm_high"] == pytest.approx(high)
    np.testing.assert_allclose(volume["raw"], normalised, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(volume["labels"], classes)
    assert volume["raw"].dtype == np.float32 and volume["labels"].dtype == np.uint8
    assert volume["chunks"] == (1, *raw.shape[1:]) and volume["compression"] == "gzip"
    attrs = volume["attrs"]
    assert json.loads(attrs["raw_names"])[:2] == ["SOCprist0001.tiff", "SOCprist0002.tiff"]
    assert json.loads(attrs["label_names"])[-1] == "slice__012.tif"
    assert json.loads(attrs["class_names"]) == CLASS_NAMES
    assert json.loads(attrs["label_values"]) == GREY_VALUES
    assert attrs["n_slices"] == N_SLICES and attrs["ignore_index"] == IGNORE_INDEX
    assert len(attrs["config_hash"]) == 16


def test_numbers_not_name_order_decide_the_pairs(tmp_path):
    raw, classes = phantom()
    # Sorted as text, "scan_10" comes before "scan_9" but "lab_009" before "lab_010".
    write_folder(tmp_path / "raw", raw, [f"scan_{z + 1}.tif" for z in range(N_SLICES)])
    labels = grey_labels(classes)
    write_folder(tmp_path / "lab", labels, [f"lab_{z + 1:03d}.png" for z in range(N_SLICES)])
    volume = ingest(tmp_path, tmp_path / "raw" / "scan_*.tif", tmp_path / "lab")
    np.testing.assert_array_equal(volume["labels"], classes)
    assert json.loads(volume["attrs"]["raw_names"])[9] == "scan_10.tif"
    np.testing.assert_allclose(volume["raw"], expected_raw(raw)[0], rtol=1e-5, atol=1e-5)


def test_multi_page_tiff_stacks(tmp_path):
    raw, classes = phantom()
    tifffile.imwrite(tmp_path / "raw.tif", raw, compression="lzw")
    tifffile.imwrite(tmp_path / "labels.tif", grey_labels(classes))
    volume = ingest(tmp_path, tmp_path / "raw.tif", tmp_path / "labels.tif")
    np.testing.assert_array_equal(volume["labels"], classes)
    np.testing.assert_allclose(volume["raw"], expected_raw(raw)[0], rtol=1e-5, atol=1e-5)
    assert json.loads(volume["attrs"]["raw_names"])[3] == "raw.tif[3]"


def test_hdf5_datasets(tmp_path):
    raw, classes = phantom()
    raw_spec = write_h5(tmp_path / "scan.h5", "/exchange/data", raw)
    labels_spec = write_h5(tmp_path / "scan.h5", "/labels", grey_labels(classes))
    volume = ingest(tmp_path, raw_spec, labels_spec)
    np.testing.assert_array_equal(volume["labels"], classes)
    np.testing.assert_allclose(volume["raw"], expected_raw(raw)[0], rtol=1e-5, atol=1e-5)
    assert volume["attrs"]["raw_source"] == raw_spec


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_arrays_of_an_ome_zarr_image_and_a_plain_store(tmp_path, zarr_format):
    import zarr

    raw, classes = phantom()
    image = zarr.open_group(str(tmp_path / "scan.ome.zarr"), mode="w", zarr_format=zarr_format)
    image.create_array("0", data=raw, chunks=(4, *raw.shape[1:]))
    zarr.create_array(str(tmp_path / "labels.zarr"), data=grey_labels(classes), zarr_format=2)
    raw_spec = f"{tmp_path / 'scan.ome.zarr'}/0"
    volume = ingest(tmp_path, raw_spec, tmp_path / "labels.zarr")
    np.testing.assert_array_equal(volume["labels"], classes)
    np.testing.assert_allclose(volume["raw"], expected_raw(raw)[0], rtol=1e-5, atol=1e-5)
    assert json.loads(volume["attrs"]["raw_names"])[3] == "scan.ome.zarr/0[3]"


def test_hdf5_raw_with_a_folder_of_labels_pairs_by_index(tmp_path):
    raw, classes = phantom()
    raw_spec = write_h5(tmp_path / "scan.h5", "data", raw)
    names = [f"mask{z + 1}.png" for z in range(N_SLICES)]
    write_folder(tmp_path / "masks", grey_labels(classes), names)
    volume = ingest(tmp_path, raw_spec, tmp_path / "masks")
    np.testing.assert_array_equal(volume["labels"], classes)


def test_float_raw_with_rgb_four_phase_labels(tmp_path):
    raw, classes = phantom(n_classes=4)
    raw = raw.astype(np.float32) / 65535
    names = [f"img{z:02d}.tif" for z in range(N_SLICES)]
    write_folder(tmp_path / "raw", raw, names, compression="deflate")
    label_names = [f"img{z:02d}_mask.png" for z in range(N_SLICES)]
    write_folder(tmp_path / "rgb", rgb_labels(classes), label_names)
    names4 = ["pore", "YSZ", "Ni", "GDC"]
    volume = ingest(
        tmp_path, tmp_path / "raw", tmp_path / "rgb", label_values=RGB_VALUES, class_names=names4
    )
    np.testing.assert_array_equal(volume["labels"], classes)
    assert volume["attrs"]["label_kind"] == "rgb"
    assert json.loads(volume["attrs"]["label_values"]) == RGB_VALUES
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert [f"fraction_{n}" for n in names4] == [c for c in summary if c.startswith("fraction_")][
        :4
    ]


def test_eight_bit_png_raw(tmp_path):
    raw, classes = phantom()
    raw8 = (raw // 256).astype(np.uint8)
    write_folder(tmp_path / "raw", raw8, [f"r{z}.png" for z in range(N_SLICES)])
    write_folder(tmp_path / "lab", grey_labels(classes), [f"l{z}.png" for z in range(N_SLICES)])
    volume = ingest(tmp_path, tmp_path / "raw", tmp_path / "lab")
    np.testing.assert_allclose(volume["raw"], expected_raw(raw8)[0], rtol=1e-5, atol=1e-5)


def test_mask_value_becomes_the_ignore_index(tmp_path):
    raw, classes = phantom()
    labels = grey_labels(classes)
    labels[:, :3, :] = 64  # outside the sample
    raw_dir, label_dir = write_real_layout(tmp_path, raw, labels)
    volume = ingest(tmp_path, raw_dir, label_dir, mask=64)
    assert (volume["labels"][:, :3, :] == IGNORE_INDEX).all()
    np.testing.assert_array_equal(volume["labels"][:, 3:, :], classes[:, 3:, :])
    assert json.loads(volume["attrs"]["mask_value"]) == 64
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["fraction_ignored"].to_numpy() == pytest.approx(3 / raw.shape[1])


def test_slice_range_takes_part_of_a_stack(tmp_path):
    raw, classes = phantom(n_slices=N_SLICES + 4)
    tifffile.imwrite(tmp_path / "raw.tif", raw)
    tifffile.imwrite(tmp_path / "labels.tif", grey_labels(classes))
    volume = ingest(tmp_path, tmp_path / "raw.tif", tmp_path / "labels.tif", slices=[2, 14])
    np.testing.assert_array_equal(volume["labels"], classes[2:14])
    assert json.loads(volume["attrs"]["raw_names"])[0] == "raw.tif[2]"
    assert json.loads(volume["attrs"]["slice_range"]) == [2, 14]
    # Normalisation comes from the train block of the range (stack slices 2..6).
    low = np.percentile(raw[2:7].astype(np.float64), 1)
    assert volume["attrs"]["norm_low"] == pytest.approx(low)


def test_summary_has_a_row_per_slice_with_statistics_and_fractions(tmp_path):
    raw, classes = phantom()
    raw_dir, label_dir = write_real_layout(tmp_path, raw, grey_labels(classes))
    ingest(tmp_path, raw_dir, label_dir, figure_path=tmp_path / "out" / "classes.png")
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["slice"].tolist() == list(range(N_SLICES))
    assert summary["split"].tolist()[:6] == ["train"] * 5 + ["guard"]
    assert summary["mean"].to_numpy() == pytest.approx(raw.mean(axis=(1, 2)))
    assert summary["std"].to_numpy() == pytest.approx(raw.std(axis=(1, 2)))
    for index, name in enumerate(CLASS_NAMES):
        assert summary[f"fraction_{name}"].to_numpy() == pytest.approx(
            (classes == index).mean(axis=(1, 2))
        )
    figure = (tmp_path / "out" / "classes.png").read_bytes()
    assert figure.startswith(b"\x89PNG")


def test_settings_reach_the_config_hash(tmp_path):
    raw, classes = phantom()
    raw_dir, label_dir = write_real_layout(tmp_path, raw, grey_labels(classes))
    first = ingest(tmp_path, raw_dir, label_dir)["attrs"]["config_hash"]
    again = ingest(tmp_path, raw_dir, label_dir)["attrs"]["config_hash"]
    other = ingest(tmp_path, raw_dir, label_dir, percentiles=[2, 98])["attrs"]["config_hash"]
    assert first == again != other


def test_histograms_count_every_pixel_of_each_class_by_its_written_grey_value(tmp_path):
    raw, classes = phantom()
    raw_dir, label_dir = write_real_layout(tmp_path, raw, grey_labels(classes))
    histograms = tmp_path / "out" / "histograms.csv"
    volume = ingest(tmp_path, raw_dir, label_dir, histograms_path=histograms)
    table = pd.read_csv(histograms)
    assert list(table["class"].unique()) == CLASS_NAMES
    for index, name in enumerate(CLASS_NAMES):
        rows = table[table["class"] == name]
        # Bins over the normalised range with every value inside it: np.histogram gives the same.
        edges = np.linspace(*HIST_RANGE, HIST_BINS + 1)
        expected, _ = np.histogram(volume["raw"][volume["labels"] == index], edges)
        assert rows["count"].tolist() == expected.tolist()
        assert rows["fraction"].sum() == pytest.approx(1)
        low, high = volume["attrs"]["norm_low"], volume["attrs"]["norm_high"]
        assert rows["grey"].to_numpy() == pytest.approx(low + rows["normalised"] * (high - low))
