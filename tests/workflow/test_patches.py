"""The patch stage inside the tiny pipeline run: one file per configured patch size."""

import h5py
import numpy as np
import pandas as pd

from helpers.workflow import TINY_CONFIG


def test_one_patch_file_per_model_patch_size_without_leakage(finished_tiny_run):
    sizes = {m["patch_size"] for m in TINY_CONFIG["models"].values() if "patch_size" in m}
    split = pd.read_csv(finished_tiny_run / "results/split/split.csv")
    split_of = split.set_index("slice")["split"]
    for size in sizes:
        counts = pd.read_csv(finished_tiny_run / f"results/patches/{size}px.csv")
        assert list(counts["split"]) == ["train", "val", "test"]
        with h5py.File(finished_tiny_run / f"results/patches/{size}px.h5", "r") as patches:
            assert patches.attrs["config_hash"]
            for row in counts.itertuples():
                origins = patches[row.split]["origins"][:]
                assert len(origins) == row.kept > 0
                assert set(split_of[np.unique(origins[:, 0])]) == {row.split}
                assert row.made == row.exact_duplicates + row.near_duplicates + row.kept
