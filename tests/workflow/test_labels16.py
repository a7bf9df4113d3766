"""16-bit label values end to end: labels 0 / 1000 / 2000 in uint16 TIFFs are ingested, trained
on, evaluated, reported and predicted, and every segmentation comes back in those values."""

import copy
import json

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile

from helpers.ingest_data import CLASS_NAMES, SPLIT, phantom, write_real_layout
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

pytestmark = pytest.mark.workflow

LABEL_VALUES = [0, 1000, 2000]
SHAPE = (24, 20)


def labels16(classes):
    return np.asarray(LABEL_VALUES, dtype=np.uint16)[classes]


def classes_of(labels):
    """Class indices of label values; every value must be one of LABEL_VALUES."""
    assert set(np.unique(labels)) <= set(LABEL_VALUES)
    return np.searchsorted(LABEL_VALUES, labels)


@pytest.fixture(scope="module")
def run16(tmp_path_factory):
    """The pipeline on 16-bit labels (threshold model: the writers are what is tested) with a
    prediction set that asks for probabilities."""
    workdir = tmp_path_factory.mktemp("labels16")
    raw, classes = phantom(shape=SHAPE)
    write_real_layout(workdir / "data", raw, labels16(classes))
    scan, scan_classes = phantom(shape=SHAPE, seed=5)
    write_real_layout(workdir / "scan", scan, labels16(scan_classes))
    config = copy.deepcopy(TINY_CONFIG)
    config.update(
        data={
            "source": "files",
            "raw": "data/raw",
            "labels": "data/labels",
            "label_values": LABEL_VALUES,
            "class_names": CLASS_NAMES,
        },
        split=SPLIT,
        models={"threshold": {"arch": "threshold"}},
        predict={"scan16": {"raw": "scan/raw", "save_probabilities": True}},
    )
    write_config(workdir, config)
    run_snakemake(workdir, "--cores", "2")
    assert tifffile.imread(workdir / "data/labels/slice__001.tif").dtype == np.uint16
    return workdir, scan_classes


def test_evaluation_writes_a_16_bit_stack_that_maps_back_to_the_scored_classes(run16):
    workdir, _ = run16
    folder = workdir / "results/eval/threshold"
    stack = tifffile.imread(folder / "test_predictions.tif")
    assert stack.dtype == np.uint16
    split = pd.read_csv(workdir / "results/split/split.csv")
    test = split.loc[split["split"] == "test", "slice"].to_numpy()
    with h5py.File(workdir / "results/ingest/volume.h5") as volume:
        truth = volume["labels"][test.min() : test.max() + 1]
    predicted = classes_of(stack)
    summary = json.loads((folder / "summary.json").read_text())
    assert (predicted == truth).mean() == pytest.approx(summary["splits"]["test"]["accuracy"])
    assert summary["class_names"] == CLASS_NAMES


def test_the_report_reads_the_16_bit_predictions(run16):
    workdir, _ = run16
    scores = pd.read_csv(workdir / "results/report/scores.csv")
    assert scores["model"].tolist() == ["threshold"]
    html = (workdir / "results/report.html").read_text()
    assert "YSZ (label 1000)" in html and "Ni (label 2000)" in html  # the data facts


def test_a_prediction_set_is_segmented_in_16_bit_label_values(run16):
    workdir, scan_classes = run16
    folder = workdir / "results/predict/best/scan16"
    stack = tifffile.imread(folder / "segmentation.tif")
    assert stack.dtype == np.uint16 and stack.shape == scan_classes.shape
    slices = sorted((folder / "slices").glob("*.tiff"))
    assert len(slices) == len(stack)
    np.testing.assert_array_equal(np.stack([tifffile.imread(p) for p in slices]), stack)
    predicted = classes_of(stack)
    fractions = pd.read_csv(folder / "fractions.csv")
    for index, name in enumerate(CLASS_NAMES):
        per_slice = (predicted == index).mean(axis=(1, 2))
        assert fractions[f"fraction_{name}"].to_numpy() == pytest.approx(per_slice)
    # The phantom's classes are far apart in grey value: the threshold gets (nearly) all right.
    assert (predicted == scan_classes).mean() > 0.99
    with h5py.File(folder / "probabilities.h5") as saved:
        assert json.loads(saved.attrs["label_values"]) == LABEL_VALUES
        most_likely = saved["probabilities"][:].argmax(axis=1)
    assert (most_likely == predicted).mean() > 0.99  # float16 may flip near-ties
