"""Training in every orientation and block prediction inside the pipeline (tiny volume)."""

import copy
import json
import re

import h5py
import numpy as np
import pandas as pd
import pytest

from helpers.workflow import TINY_CONFIG, run_snakemake, write_config

pytestmark = pytest.mark.workflow

# 8 steps: these tests check which patches are cut and how blocks are predicted, not accuracy.
ORIENTED = {**TINY_CONFIG["models"]["unet"], "orientations": ["z", "y", "x"], "steps": 8}


def train_inputs(dry_run):
    """{model: the input line of its train job} from a dry run's job list."""
    inputs = {}
    for job in re.split(r"^\[.*\]$", dry_run, flags=re.M):  # a job opens with its [date]
        fields = dict(re.findall(r"^\s+(input|output): (.*)$", job, flags=re.M))
        trained = re.search(r"results/models/(\w+)/model\.pt", fields.get("output", ""))
        if re.search(r"^rule train:", job, flags=re.M) and trained:
            inputs[trained.group(1)] = fields["input"]
    return inputs


def test_plane_patches_train_a_network_that_predicts_blocks_along_every_axis(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["models"] = {"unet_o": ORIENTED}
    config["evaluate"].update(axes=["z", "y", "x"], smooth_sigma=1.0)
    write_config(tmp_path, config)
    run_snakemake(tmp_path, "--cores", "2", "results/eval/unet_o/summary.json")
    split = pd.read_csv(tmp_path / "results/split/split.csv")
    size = ORIENTED["patch_size"]
    for axis in ("y", "x"):
        counts = pd.read_csv(tmp_path / f"results/patches/{size}px_{axis}.csv")
        assert set(counts["orientation"]) == {axis}
        with h5py.File(tmp_path / f"results/patches/{size}px_{axis}.h5") as patches:
            assert patches.attrs["orientation"] == axis
            for split_name in ("train", "val", "test"):
                block = split.loc[split["split"] == split_name, "slice"]
                origins = patches[split_name]["origins"][:]
                assert len(origins) > 0
                # Every patch starts in its own block (rows past a thin block are padding).
                assert np.isin(origins[:, 0], block).all()
    log = (tmp_path / "results/logs/train/unet_o.log").read_text()
    assert "train and" in log
    summary = json.loads((tmp_path / "results/eval/unet_o/summary.json").read_text())
    for split_name in ("val", "test"):
        plan = summary["prediction"][split_name]
        assert plan["axes"] == ["z", "y", "x"] and plan["smooth_sigma"] == 1.0
        assert plan["whole_block"]


def test_a_network_trained_on_slices_alone_needs_no_plane_patches(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["models"] = {"unet": TINY_CONFIG["models"]["unet"], "unet_o": ORIENTED}
    write_config(tmp_path, config)
    size = ORIENTED["patch_size"]
    targets = ["results/models/unet/model.pt", "results/models/unet_o/model.pt"]
    inputs = train_inputs(run_snakemake(tmp_path, "--dry-run", *targets).stdout)
    assert f"{size}px_y.h5" not in inputs["unet"] and f"{size}px.h5" in inputs["unet"]
    assert f"{size}px_y.h5" in inputs["unet_o"] and f"{size}px_x.h5" in inputs["unet_o"]
