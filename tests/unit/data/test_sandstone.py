"""The 4-phase sandstone labelled on 9 slices 50 apart (xrayseg.data.sandstone), as
config/sparse4.yaml ingests it."""

import h5py
import numpy as np
import pytest
import tifffile
import yaml
from scipy import ndimage

from helpers.workflow import REPO
from xrayseg.data.ingest import ingest_volume
from xrayseg.data.pairing import slice_number
from xrayseg.data.sandstone import (
    CLASS_NAMES,
    CLAY,
    LABEL_COLOURS,
    PYRITE,
    QUARTZ,
    write_sparse_sandstone,
)
from xrayseg.data.split import write_split_table

SHAPE = (96, 90)


@pytest.fixture(scope="module")
def sandstone(tmp_path_factory):
    return write_sparse_sandstone(tmp_path_factory.mktemp("s") / "sparse4", shape=SHAPE, seed=1)


def classes_of(mask):
    """Class index per pixel of an RGB mask (LABEL_COLOURS order)."""
    colours = np.asarray(LABEL_COLOURS)
    return np.argmax(np.all(mask[..., None, :] == colours, axis=-1), axis=-1)


def test_nine_slices_50_apart_named_by_their_original_number(sandstone):
    raw = sorted(p.name for p in (sandstone / "raw").iterdir())
    labels = sorted(p.name for p in (sandstone / "labels").iterdir())
    assert raw == labels
    assert raw[:3] == [
        "Sandstone_Versa0000.tif",
        "Sandstone_Versa0050.tif",
        "Sandstone_Versa0100.tif",
    ]
    assert [slice_number(name) for name in raw] == list(range(0, 401, 50))


def test_raw_is_8_bit_and_masks_are_rgb_in_the_label_colours(sandstone):
    raw = tifffile.imread(sandstone / "raw" / "Sandstone_Versa0200.tif")
    mask = tifffile.imread(sandstone / "labels" / "Sandstone_Versa0200.tif")
    assert raw.dtype == np.uint8 and raw.shape == SHAPE
    assert mask.dtype == np.uint8 and mask.shape == (*SHAPE, 3)
    colours = {tuple(c) for c in mask.reshape(-1, 3)}
    assert colours <= set(LABEL_COLOURS)


def test_grey_values_rise_pore_clay_quartz_pyrite_and_clay_is_mostly_thin(sandstone):
    raws, classes = [], []
    for path in sorted((sandstone / "labels").iterdir()):
        classes.append(classes_of(tifffile.imread(path)))
        raws.append(tifffile.imread(sandstone / "raw" / path.name).astype(float))
    raws, classes = np.stack(raws), np.stack(classes)
    assert set(np.unique(classes)) == set(range(len(CLASS_NAMES)))
    means = [raws[classes == k].mean() for k in range(len(CLASS_NAMES))]
    assert means == sorted(means)
    assert np.mean(classes == PYRITE) < 0.05
    # Coats and throats: most clay lies within 2 px of a grain, where partial volume is too.
    near_quartz = np.stack([ndimage.distance_transform_edt(c != QUARTZ) <= 2 for c in classes])
    assert np.mean(near_quartz[classes == CLAY]) > 0.5


def test_config_sparse4_ingests_it_and_splits_7_1_1(sandstone, tmp_path):
    config = yaml.safe_load((REPO / "config" / "sparse4.yaml").read_text())
    data, split = config["data"], config["split"]
    count = ingest_volume(
        raw_spec=str(sandstone / "raw"),
        labels_spec=str(sandstone / "labels"),
        label_values=data["label_values"],
        class_names=data["class_names"],
        split=split,
        out_path=tmp_path / "volume.h5",
        percentiles=[0.5, 99.5],
    )
    assert count == 9
    with h5py.File(tmp_path / "volume.h5", "r") as volume:
        assert volume["labels"].shape == (9, *SHAPE)
        assert set(np.unique(volume["labels"][:])) == set(range(4))
    frame = write_split_table(tmp_path / "volume.h5", split, tmp_path / "split.csv")
    assert frame["split"].tolist() == ["train"] * 7 + ["val", "test"]
