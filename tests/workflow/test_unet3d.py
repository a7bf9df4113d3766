"""The 3-D UNet in the pipeline: its own 3-D patches, a few training steps, whole-block
evaluation scored like every other model, and a new scan segmented as one block."""

import copy
import json

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile

from helpers.predict_data import SCAN_SHAPE, read_folder, write_scan
from helpers.workflow import TINY_CONFIG, run_snakemake, write_config
from xrayseg.evaluation.microstructure import measure_test_block
from xrayseg.settings.roles import MicrostructureSettings

pytestmark = pytest.mark.workflow

# The tiny volume's blocks: train 11, val 5, test 6 slices. 8-slice patches: one train layer,
# and val and test blocks mirrored to 8 (their mirrored voxels ignored). The tiny config's 48
# steps train it to ~0.85 val accuracy.
UNET3D = {
    "arch": "unet3d",
    "patch_size": 16,
    "patch_depth": 8,
    "width": 4,
    "depth": 2,
    "batch_size": 4,
}


@pytest.fixture(scope="module")
def run3d(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("unet3d")
    write_scan(
        workdir / "scans" / "b", seed=11, feature_size=TINY_CONFIG["synthetic"]["feature_size"]
    )
    config = copy.deepcopy(TINY_CONFIG)
    config["models"] = {"unet3d": UNET3D}
    config["predict"] = {"scan_b": {"raw": "scans/b/raw", "model": "unet3d"}}
    write_config(workdir, config)
    # The 3-D path alone: its patches, training, evaluation and a new scan. The report,
    # suggestions and `best` take a 3-D model's files like any other's (no arch-specific code;
    # a volumetric model's single-slice uncertainty for suggest: tests/unit/inference/test_volume).
    targets = ["results/eval/unet3d/summary.json", "results/predict/unet3d/scan_b/volume.csv"]
    run_snakemake(workdir, "--cores", "2", *targets)
    return workdir


def test_3d_patches_are_cut_per_block_and_counted(run3d):
    counts = pd.read_csv(run3d / "results/patches/8x16x16px.csv").set_index("split")
    assert (counts["kept"] > 0).all()
    assert list(counts.index) == ["train", "val", "test"]
    split = pd.read_csv(run3d / "results/split/split.csv")
    with h5py.File(run3d / "results/patches/8x16x16px.h5", "r") as patches:
        for name, group in patches.items():
            block = split.loc[split["split"] == name, "slice"]
            fronts = group["origins"][:, 0]
            inside = min(8, len(block))
            assert group["raw"].shape[1:] == (8, 16, 16)
            assert fronts.min() >= block.min() and fronts.max() + inside - 1 <= block.max()
    # No 2-D patch file: no 2-D patch model is configured.
    assert [p.name for p in (run3d / "results/patches").glob("*.h5")] == ["8x16x16px.h5"]


def test_the_3d_unet_trains_and_is_scored_like_every_model(run3d):
    log = (run3d / "results/logs/train/unet3d.log").read_text()
    assert "of 8 x 16 x 16 px" in log
    summary = json.loads((run3d / "results/eval/unet3d/summary.json").read_text())
    assert summary["arch"] == "unet3d"
    assert summary["inference"]["window_depth"] == 8
    test = summary["splits"]["test"]
    split = pd.read_csv(run3d / "results/split/split.csv")
    assert test["n_slices"] == (split["split"] == "test").sum()
    # Well above the majority class (~0.45) after the tiny config's 48 steps (the threshold
    # baseline reaches ~0.93; a model that never learned predicts one class).
    assert test["accuracy"] > 0.6
    metrics = pd.read_csv(run3d / "results/eval/unet3d/metrics.csv")
    assert set(metrics["split"]) == {"train", "val", "test"}
    # The true microstructure is the test block's own, as for every model: measured here from
    # the ingested labels of the split's test slices.
    micro = pd.read_csv(run3d / "results/eval/unet3d/microstructure.csv")
    settings = MicrostructureSettings(
        *(summary["microstructure"][key] for key in ("roles", "voxel_size", "axis"))
    )
    with h5py.File(run3d / "results/ingest/volume.h5") as volume:
        labels = volume["labels"]
        truth = {z: labels[z] for z in split.loc[split["split"] == "test", "slice"]}
        expected, _ = measure_test_block(labels, truth, settings, summary["class_names"])
    np.testing.assert_array_equal(micro["true"], expected["true"])
    assert "tpb_density" in set(micro["metric"])
    stack = tifffile.imread(run3d / "results/eval/unet3d/test_predictions.tif")
    assert stack.shape[0] == test["n_slices"]


def test_a_new_scan_is_segmented_by_the_3d_unet(run3d):
    folder = run3d / "results/predict/unet3d/scan_b"
    segmentation = tifffile.imread(folder / "segmentation.tif")
    assert segmentation.shape == SCAN_SHAPE
    truth = read_folder(run3d / "scans/b/labels")
    assert (segmentation == truth).mean() > 0.6
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["arch"] == "unet3d" and summary["n_slices"] == SCAN_SHAPE[0]
    fractions = pd.read_csv(folder / "fractions.csv")
    assert np.allclose(fractions.filter(like="fraction_").sum(axis=1), 1)
