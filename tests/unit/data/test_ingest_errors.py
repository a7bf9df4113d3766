"""Every bad input stops ingest with a message naming the file(s) and the fix, and leaves nothing.

Each test writes a small good data set, breaks one thing, and checks the error and that the output
folder holds no file at all (no volume, no summary, no figure, no temporary file).
"""

import numpy as np
import pytest
import tifffile

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
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


def fails(tmp_path, raw_spec, labels_spec, match, **settings):
    """Run ingest, expect a ValueError matching `match`, and return its message."""
    out = tmp_path / "out"
    arguments = {
        "label_values": GREY_VALUES,
        "class_names": CLASS_NAMES,
        "split": SPLIT,
        "percentiles": [1, 99],
        "out_path": out / "volume.h5",
        "summary_path": out / "summary.csv",
        "figure_path": out / "classes.png",
        **settings,
    }
    with pytest.raises(ValueError, match=match) as error:
        ingest_volume(raw_spec=str(raw_spec), labels_spec=str(labels_spec), **arguments)
    leftovers = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert leftovers == [], f"partial output left behind: {leftovers}"
    return str(error.value)


@pytest.fixture
def real(tmp_path):
    """A good real-layout data set: (raw folder, label folder, raw array, classes)."""
    raw, classes = phantom()
    raw_dir, label_dir = write_real_layout(tmp_path, raw, grey_labels(classes))
    return raw_dir, label_dir, raw, classes


def test_empty_glob(tmp_path, real):
    raw_dir, label_dir, *_ = real
    fails(tmp_path, raw_dir / "SOCprist*.png", label_dir, r"no image files match .*SOCprist\*.png")


def test_empty_folder(tmp_path, real):
    _, label_dir, *_ = real
    (tmp_path / "empty").mkdir()
    fails(tmp_path, tmp_path / "empty", label_dir, "no image files match .*empty")


def test_different_counts_name_the_extra_file(tmp_path, real):
    raw_dir, label_dir, *_ = real
    (label_dir / "slice__012.tif").unlink()
    message = fails(tmp_path, raw_dir, label_dir, "12 raw files but 11 label files")
    assert "SOCprist0012.tiff" in message


def test_raw_slice_without_label_partner_is_named(tmp_path, real):
    raw_dir, label_dir, *_ = real
    (label_dir / "slice__005.tif").rename(label_dir / "slice__013.tif")
    message = fails(
        tmp_path, raw_dir, label_dir, r"raw slices with no label partner: \[.*SOCprist0005"
    )
    assert "slice__013.tif" in message and "add the missing partner" in message


def test_raw_slices_of_different_shapes(tmp_path, real):
    raw_dir, label_dir, raw, _ = real
    tifffile.imwrite(raw_dir / "SOCprist0010.tiff", raw[9, :-1])
    fails(
        tmp_path, raw_dir, label_dir, r"SOCprist0010.tiff .*shape \(13, 17\) differs .*SOCprist0001"
    )


def test_a_different_train_slice_shape_fails_before_any_writing(tmp_path, real):
    raw_dir, label_dir, raw, _ = real
    tifffile.imwrite(raw_dir / "SOCprist0003.tiff", raw[2, :, :-2])
    fails(tmp_path, raw_dir, label_dir, r"SOCprist0003.tiff .*\(14, 15\) differs")


def test_raw_and_label_shapes_differ(tmp_path, real):
    raw_dir, label_dir, _, classes = real
    tifffile.imwrite(label_dir / "slice__007.tif", grey_labels(classes[6])[:, :-3])
    fails(tmp_path, raw_dir, label_dir, r"slice__007.tif has shape \(14, 14\) .*SOCprist0007.tiff")


def test_label_values_not_in_config_list_values_pixels_and_slices(tmp_path, real):
    raw_dir, label_dir, _, classes = real
    bad = {1: [64], 10: [64, 200]}
    for z, values in bad.items():
        labels = grey_labels(classes[z])
        for row, value in enumerate(values):
            labels[row, :2] = value
        tifffile.imwrite(label_dir / f"slice__{z + 1:03d}.tif", labels)
    message = fails(tmp_path, raw_dir, label_dir, "not in data.label_values")
    assert "value 64: 4 pixels in slice__002.tif, slice__011.tif" in message
    assert "value 200: 2 pixels in slice__011.tif" in message
    assert "data.mask" in message


def test_rgb_labels_given_grey_values(tmp_path, real):
    raw_dir, _, _, classes = real
    names = [f"slice__{z + 1:03d}.png" for z in range(len(classes))]
    write_folder(tmp_path / "rgb", rgb_labels(classes), names)
    fails(tmp_path, raw_dir, tmp_path / "rgb", r"slice__001.png .*is RGB .*give one \[R, G, B\]")


def test_grey_labels_given_rgb_values(tmp_path, real):
    raw_dir, label_dir, *_ = real
    message = fails(
        tmp_path,
        raw_dir,
        label_dir,
        "slice__001.tif .*greyscale",
        label_values=RGB_VALUES[:3],
    )
    assert "label_values: [0, 128, 255]" in message


@pytest.mark.parametrize(("bad", "slices"), [(np.nan, [2, 10]), (np.inf, [3])])
def test_nan_or_infinite_raw_values_name_every_slice(tmp_path, real, bad, slices):
    _, label_dir, raw, _ = real
    raw = raw.astype(np.float32)
    for z in slices:
        raw[z, 1, 1] = bad
    names = [f"SOCprist{z + 1:04d}.tiff" for z in range(len(raw))]
    write_folder(tmp_path / "float", raw, names)
    message = fails(tmp_path, tmp_path / "float", label_dir, "NaN or infinite")
    for z in slices:
        assert names[z] in message


@pytest.mark.parametrize("side", ["raw", "labels"])
def test_truncated_file(tmp_path, real, side):
    raw_dir, label_dir, *_ = real
    folder, name = (
        (raw_dir, "SOCprist0008.tiff") if side == "raw" else (label_dir, "slice__008.tif")
    )
    path = folder / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    fails(tmp_path, raw_dir, label_dir, f"cannot read {path}.*truncated")


def test_unreadable_file(tmp_path, real):
    raw_dir, label_dir, *_ = real
    (raw_dir / "SOCprist0002.tiff").write_bytes(b"this is not an image")
    fails(tmp_path, raw_dir, label_dir, "cannot read .*SOCprist0002.tiff")


def write_stacks(folder, n_slices):
    raw, classes = phantom(n_slices=n_slices)
    tifffile.imwrite(folder / "raw.tif", raw, photometric="minisblack")
    tifffile.imwrite(folder / "labels.tif", grey_labels(classes), photometric="minisblack")
    return folder / "raw.tif", folder / "labels.tif"


def test_stack_one_slice_short_of_the_split(tmp_path):
    # Under SPLIT 5 slices hold train 1 | guard 1 | val 1 | guard 1 | test 1; 4 cannot.
    (tmp_path / "five").mkdir()
    raw, labels = write_stacks(tmp_path / "five", 5)
    out = tmp_path / "five" / "volume.h5"
    ingest_volume(str(raw), str(labels), GREY_VALUES, CLASS_NAMES, SPLIT, out, [1, 99])
    assert out.exists()

    raw, labels = write_stacks(tmp_path, 4)
    message = fails(
        tmp_path, raw, labels, r"raw.tif' and .*labels.tif' give 4 slice pairs, too few"
    )
    assert "guard_slices" in message


def test_stack_count_mismatch(tmp_path):
    raw, classes = phantom()
    tifffile.imwrite(tmp_path / "raw.tif", raw)
    tifffile.imwrite(tmp_path / "labels.tif", grey_labels(classes[:-1]))
    fails(tmp_path, tmp_path / "raw.tif", tmp_path / "labels.tif", "holds 12 slices but labels")


def test_slice_range_beyond_the_stack(tmp_path):
    raw, classes = phantom()
    spec = write_h5(tmp_path / "scan.h5", "raw", raw)
    labels = write_h5(tmp_path / "scan.h5", "labels", grey_labels(classes))
    fails(
        tmp_path,
        spec,
        labels,
        r"data.slices \[0, 20\] reaches slice 19.*pair into 12",
        slices=[0, 20],
    )


def test_missing_hdf5_dataset(tmp_path, real):
    _, label_dir, raw, _ = real
    write_h5(tmp_path / "scan.h5", "/exchange/data", raw)
    fails(
        tmp_path, f"{tmp_path / 'scan.h5'}:/exchange/dat", label_dir, "no dataset '/exchange/dat'"
    )


def test_mask_that_is_also_a_class(tmp_path, real):
    raw_dir, label_dir, *_ = real
    fails(tmp_path, raw_dir, label_dir, "data.mask: 128 is also a class", mask=128)


def test_a_failed_run_keeps_the_previous_good_volume(tmp_path, real):
    raw_dir, label_dir, *_ = real
    out = tmp_path / "out" / "volume.h5"
    ingest_volume(str(raw_dir), str(label_dir), GREY_VALUES, CLASS_NAMES, SPLIT, out, [1, 99])
    before = out.read_bytes()
    (raw_dir / "SOCprist0011.tiff").write_bytes(b"broken")
    with pytest.raises(ValueError, match="SOCprist0011.tiff"):
        ingest_volume(str(raw_dir), str(label_dir), GREY_VALUES, CLASS_NAMES, SPLIT, out, [1, 99])
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["volume.h5"]


def test_an_8_bit_slice_among_16_bit_ones_is_named_with_the_stacks_numbers(tmp_path, real):
    raw_dir, label_dir, raw, _ = real
    tifffile.imwrite(raw_dir / "SOCprist0010.tiff", (raw[9] // 256).astype(np.uint8))
    message = fails(tmp_path, raw_dir, label_dir, r"SOCprist0010.tiff is uint8 with grey values")
    assert "11 of the 12 slices" in message and "uint16" in message


def test_a_class_missing_from_the_train_block_is_named_by_its_name(tmp_path, real):
    raw_dir, label_dir, _, classes = real
    for z in range(5):  # the train block under SPLIT
        labels = grey_labels(classes[z])
        labels[labels == 0] = 128
        tifffile.imwrite(label_dir / f"slice__{z + 1:03d}.tif", labels)
    fails(tmp_path, raw_dir, label_dir, r"class 'pore' \(label value 0\) occurs in no slice of")


def test_swapped_folders_are_one_message_not_one_line_per_grey_value(tmp_path, real):
    raw_dir, label_dir, *_ = real
    message = fails(tmp_path, label_dir, raw_dir, "data.raw and data.labels look swapped")
    assert "\n" not in message


def test_many_unknown_label_values_are_one_line_and_the_full_list_is_in_the_log(
    tmp_path, real, caplog
):
    raw_dir, label_dir, raw, classes = real
    scan = (raw[2] // 256).astype(np.uint8)  # a scan saved as a label slice
    tifffile.imwrite(label_dir / "slice__003.tif", scan)
    foreign = set(np.unique(scan).tolist()) - set(GREY_VALUES)
    message = fails(tmp_path, raw_dir, label_dir, "label files hold values that are not in")
    assert "\n" not in message and f"({len(foreign)} in all; the full list: the job log)" in message
    (full_list,) = [r.getMessage() for r in caplog.records if "in full" in r.getMessage()]
    assert len(full_list.splitlines()) == 1 + len(foreign)
