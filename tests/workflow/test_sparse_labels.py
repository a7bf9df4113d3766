"""The tiny pipeline with labels for only some slices (synthetic.train_label_every), end to end:
the labelled flags travel from ingest to the report, and nothing trains or scores elsewhere."""

import copy
import json

import h5py
import numpy as np
import pandas as pd
import pytest

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

pytestmark = pytest.mark.workflow

# The tiny volume's 24 slices: train 0-10 | guard 11 | val 12-16 | guard 17 | test 18-23.
# Every 3rd train slice labelled: 0, 3, 6, 9.
LABELLED_TRAIN = [0, 3, 6, 9]


def sparse_config(every=3):
    config = copy.deepcopy(TINY_CONFIG)
    config["data"]["sparse_labels"] = True
    config["synthetic"]["train_label_every"] = every
    config["models"] = {
        "threshold": {"arch": "threshold"},
        "unet": {"arch": "unet", "patch_size": 32, "width": 4, "depth": 2, "steps": 16},
    }
    return config


@pytest.fixture(scope="module")
def sparse_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sparse_labels")
    write_config(workdir, sparse_config())
    run_snakemake(workdir, "--cores", "2")
    return workdir


def test_ingest_and_split_mark_the_labelled_slices(sparse_run):
    labels = sorted(p.name for p in (sparse_run / "resources/synthetic/labels").iterdir())
    assert (
        len(labels) == 4 + 5 + 6
        and len(list((sparse_run / "resources/synthetic/raw").iterdir())) == 24
    )
    split = pd.read_csv(sparse_run / "results/split/split.csv")
    labelled = split.loc[split["labelled"], "slice"].tolist()
    assert labelled == LABELLED_TRAIN + list(range(12, 17)) + list(range(18, 24))
    summary = pd.read_csv(sparse_run / "results/ingest/summary.csv")
    assert summary["labelled"].tolist() == split["labelled"].tolist()
    with h5py.File(sparse_run / "results/ingest/volume.h5") as volume:
        assert volume["labelled"][:].tolist() == split["labelled"].tolist()
        assert (volume["labels"][1] == 255).all() and volume["raw"].shape[0] == 24


def test_patches_come_from_the_labelled_train_slices(sparse_run):
    counts = pd.read_csv(sparse_run / "results/patches/32px.csv").set_index("split")
    assert counts.loc["train", "slices"] == len(LABELLED_TRAIN)
    with h5py.File(sparse_run / "results/patches/32px.h5") as patches:
        origins = patches["train"]["origins"][:]
        assert set(origins[:, 0]) <= set(LABELLED_TRAIN)
        assert not (patches["train"]["labels"][:] == 255).any()


def test_every_model_scores_the_labelled_slices_only_and_says_how_many(sparse_run):
    for model in ("threshold", "unet"):
        folder = sparse_run / "results/eval" / model
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["labelled_slices"]["train"] == {"slices": 11, "labelled": 4, "scored": 4}
        assert summary["labelled_slices"]["test"] == {"slices": 6, "labelled": 6, "scored": 6}
        metrics = pd.read_csv(folder / "metrics.csv")
        assert sorted(metrics.loc[metrics["split"] == "train", "slice"]) == LABELLED_TRAIN
        assert np.isfinite(summary["splits"]["test"]["mean_iou"])
    threshold = json.loads((sparse_run / "results/eval/threshold/summary.json").read_text())
    assert threshold["splits"]["test"]["accuracy"] > 0.8
    report = (sparse_run / "results/report.html").read_text()
    assert "labelled slices</dt><dd>train 4 of 11, val 5 of 5, test 6 of 6" in report


def test_too_few_labelled_slices_stop_the_run_before_any_job(tmp_path):
    write_config(tmp_path, sparse_config(every=6))  # train 0 and 6: 2 labelled slices
    result = run_snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "config error: split: the train block (slices 0-10) holds 2 labelled slices" in (
        result.stderr
    )
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()
