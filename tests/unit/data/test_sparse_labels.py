"""Sparse labels in the data stage: pairing with missing label files, ingest of unlabelled slices,
split.csv's labelled column and its per-block check, the synthetic volume's sparse labelling."""

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile

from helpers.ingest_data import (
    CLASS_NAMES,
    GREY_VALUES,
    SPLIT,
    grey_labels,
    phantom,
    write_h5,
    write_real_layout,
)
from xrayseg.data.ingest import ingest_volume
from xrayseg.data.pairing import pair_slices
from xrayseg.data.split import labelled_slices_of, slices_of, write_split_table
from xrayseg.data.synthetic import write_synthetic_from_config
from xrayseg.io.volume import IGNORE_INDEX, read_volume_info
from xrayseg.settings.split_blocks import (
    assign_splits,
    every_nth_train_labelled,
    labelled_block_problems,
)

# Under SPLIT the 12 phantom slices are train 0-4 | guard 5 | val 6-7 | guard 8 | test 9-11.
UNLABELLED = (1, 3, 5, 8)  # two train slices and both guards


def ingest(tmp_path, raw_spec, labels_spec, **settings):
    out = tmp_path / "out"
    ingest_volume(
        raw_spec=str(raw_spec),
        labels_spec=str(labels_spec),
        label_values=GREY_VALUES,
        class_names=CLASS_NAMES,
        split=SPLIT,
        percentiles=[1, 99],
        out_path=out / "volume.h5",
        summary_path=out / "summary.csv",
        **settings,
    )
    return out


def sparse_layout(tmp_path, unlabelled=UNLABELLED):
    """The real layout with the label files of `unlabelled` slices deleted."""
    raw, classes = phantom()
    raw_dir, label_dir = write_real_layout(tmp_path / "data", raw, grey_labels(classes))
    for z in unlabelled:
        (label_dir / f"slice__{z + 1:03d}.tif").unlink()
    return raw, classes, raw_dir, label_dir


def test_sparse_pairing_keeps_every_raw_slice_with_none_for_missing_labels():
    raw = ["r/SOCprist0003.tiff", "r/SOCprist0001.tiff", "r/SOCprist0002.tiff"]
    labels = ["l/slice__003.tif", "l/slice__001.tif"]
    pairs = pair_slices(raw, labels, sparse=True)
    assert [(p.name, q and q.name) for p, q in pairs] == [
        ("SOCprist0001.tiff", "slice__001.tif"),
        ("SOCprist0002.tiff", None),
        ("SOCprist0003.tiff", "slice__003.tif"),
    ]


def test_missing_label_files_without_the_opt_in_point_at_sparse_labels():
    raw = ["SOCprist0001.tiff", "SOCprist0002.tiff", "SOCprist0003.tiff"]
    with pytest.raises(ValueError, match=r"SOCprist0002.tiff.*data.sparse_labels: true"):
        pair_slices(raw, ["slice__001.tif", "slice__003.tif"])


def test_a_label_file_without_raw_partner_stays_an_error_with_sparse_labels():
    with pytest.raises(ValueError, match=r"label slices with no raw partner: \[slice__004.tif\]"):
        pair_slices(
            ["SOCprist0001.tiff", "SOCprist0002.tiff"],
            ["slice__001.tif", "slice__004.tif"],
            sparse=True,
        )


def test_sparse_pairing_needs_numbers_in_the_names():
    with pytest.raises(ValueError, match="without a slice number"):
        pair_slices(["a.tif", "b.tif"], ["c.tif"], sparse=True)


def test_ingest_without_the_opt_in_stops_and_names_the_setting(tmp_path):
    _, _, raw_dir, label_dir = sparse_layout(tmp_path)
    with pytest.raises(ValueError, match="data.sparse_labels"):
        ingest(tmp_path, raw_dir, label_dir)
    assert not (tmp_path / "out" / "volume.h5").exists()


def test_ingest_keeps_every_raw_slice_and_marks_the_unlabelled_ones(tmp_path):
    raw, classes, raw_dir, label_dir = sparse_layout(tmp_path)
    out = ingest(tmp_path, raw_dir, label_dir, sparse_labels=True)
    expected = [z not in UNLABELLED for z in range(len(raw))]
    info = read_volume_info(out / "volume.h5")
    assert info.labelled == expected
    assert info.raw_names[1] == "SOCprist0002.tiff" and info.label_names[1] == ""
    with h5py.File(out / "volume.h5") as volume:
        labels = volume["labels"][:]
        assert volume["raw"].shape[0] == len(raw)
    for z in range(len(raw)):
        if expected[z]:
            np.testing.assert_array_equal(labels[z], classes[z])
        else:
            assert (labels[z] == IGNORE_INDEX).all()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["labelled"].tolist() == expected
    assert (summary.loc[~summary["labelled"], "fraction_ignored"] == 1).all()


def test_a_stack_marks_a_slice_of_mask_values_unlabelled(tmp_path):
    raw, classes = phantom()
    labels = grey_labels(classes)
    labels[3] = 64  # the mask value in every pixel: nobody labelled this slice
    labels[4, :5] = 64  # partly masked: still labelled
    raw_spec = write_h5(tmp_path / "scan.h5", "raw", raw)
    labels_spec = write_h5(tmp_path / "scan.h5", "labels", labels)
    out = ingest(tmp_path, raw_spec, labels_spec, mask=64)
    labelled = read_volume_info(out / "volume.h5").labelled
    assert labelled == [z != 3 for z in range(len(raw))]


def test_a_volume_without_the_labelled_dataset_counts_as_labelled(tmp_path):
    path = tmp_path / "volume.h5"
    with h5py.File(path, "w") as volume:
        volume["raw"] = np.zeros((4, 2, 2), dtype=np.float32)
    assert read_volume_info(path).labelled == [True] * 4


def test_split_csv_gets_the_labelled_column(tmp_path):
    _, _, raw_dir, label_dir = sparse_layout(tmp_path)
    out = ingest(tmp_path, raw_dir, label_dir, sparse_labels=True)
    frame = write_split_table(out / "volume.h5", SPLIT, tmp_path / "split.csv")
    written = pd.read_csv(tmp_path / "split.csv")
    assert list(written.columns) == ["slice", "name", "split", "labelled"]
    assert written["labelled"].dtype == bool
    assert written["labelled"].tolist() == frame["labelled"].tolist()
    assert slices_of(written, "train") == [0, 1, 2, 3, 4]  # the block, labelled or not
    assert labelled_slices_of(written, "train") == [0, 2, 4]
    assert labelled_slices_of(written, "test") == [9, 10, 11]


def test_a_table_without_the_labelled_column_counts_as_labelled():
    frame = pd.DataFrame({"slice": [0, 1, 2], "split": ["train", "train", "val"]})
    assert labelled_slices_of(frame, "train") == [0, 1]


def test_a_block_with_too_few_labelled_slices_stops_the_split_naming_it(tmp_path):
    _, _, raw_dir, label_dir = sparse_layout(tmp_path, unlabelled=(1, 3, 6))
    out = ingest(tmp_path, raw_dir, label_dir, sparse_labels=True)
    split = {**SPLIT, "min_labelled_slices": 2}
    message = (
        r"split: the val block \(slices 6-7: SOCprist0007.tiff .. SOCprist0008.tiff\) holds 1 "
        r"labelled slice; split.min_labelled_slices asks for at least 2"
    )
    with pytest.raises(ValueError, match=message) as error:
        write_split_table(out / "volume.h5", split, tmp_path / "split.csv")
    assert "train block" not in str(error.value)  # 3 of 5 labelled: enough
    assert not (tmp_path / "split.csv").exists()
    write_split_table(out / "volume.h5", {**split, "min_labelled_slices": 1}, tmp_path / "ok.csv")


def test_labelled_block_problems_count_each_block():
    splits = assign_splits(20, 0.2, 0.25, 2)  # train 0-6 | val 9-12 | test 15-19
    labelled = [z % 3 == 0 for z in range(20)]  # train 0, 3, 6; val 9, 12; test 15, 18
    assert labelled_block_problems(splits, labelled, 2) == []
    problems = labelled_block_problems(splits, labelled, 3)
    assert len(problems) == 2
    assert problems[0].startswith("the val block (slices 9-12) holds 2 labelled slices")
    assert problems[1].startswith("the test block (slices 15-19) holds 2 labelled slices")


def test_every_nth_train_slice_is_labelled_and_val_and_test_whole():
    splits = assign_splits(48, 0.15, 0.2, 3)  # the default volume: train 0-24
    labelled = every_nth_train_labelled(splits, 10)
    assert [z for z, flag in enumerate(labelled) if flag and splits[z] == "train"] == [0, 10, 20]
    assert all(labelled[z] for z, s in enumerate(splits) if s in ("val", "test"))
    assert not any(labelled[z] for z, s in enumerate(splits) if s == "guard")
    assert every_nth_train_labelled(splits, 1) == [True] * 48


def test_the_synthetic_volume_writes_labels_for_every_nth_train_slice(tmp_path):
    settings = {
        "shape": [12, 16, 16],
        "fractions": [0.3, 0.43, 0.27],
        "feature_size": 3,
        "grey_means": [22700, 35000, 40900],
        "grey_stds": [2400, 1300, 1700],
        "edge_blur": 1.0,
        "drift": 0.0,
        "seed": 1,
        "train_label_every": 2,
    }
    blocks = {key: SPLIT[key] for key in ("val_fraction", "test_fraction", "guard_slices")}
    out = write_synthetic_from_config(tmp_path / "sparse", settings, GREY_VALUES, split=blocks)
    assert len(list((out / "raw").iterdir())) == 12
    written = sorted(p.name for p in (out / "labels").iterdir())
    # train 0-4 every 2nd: 0, 2, 4; val 6-7; test 9-11 (1-based in the names).
    assert written == [f"slice__{z + 1:03d}.tif" for z in (0, 2, 4, 6, 7, 9, 10, 11)]
    full = write_synthetic_from_config(
        tmp_path / "full", {**settings, "train_label_every": 1}, GREY_VALUES
    )
    assert len(list((full / "labels").iterdir())) == 12
    # The same volume either way: only which label files exist differs.
    for name in written:
        np.testing.assert_array_equal(
            tifffile.imread(out / "labels" / name), tifffile.imread(full / "labels" / name)
        )
