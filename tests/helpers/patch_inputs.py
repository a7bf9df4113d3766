"""The two files the patch cutters read, written from arrays: volume.h5 (raw, labels, two class
names) and split.csv (one split per slice)."""

import json

import h5py
import numpy as np
import pandas as pd


def write_inputs(tmp_path, raw, labels, splits):
    """(volume.h5, split.csv) paths under tmp_path; splits: one split name per slice."""
    volume = tmp_path / "volume.h5"
    with h5py.File(volume, "w") as f:
        f["raw"] = raw.astype(np.float32)
        f["labels"] = labels.astype(np.uint8)
        f.attrs["class_names"] = json.dumps(["a", "b"])
        f.attrs["config_hash"] = "volumehash"
    split = tmp_path / "split.csv"
    names = [f"s{z}.tif" for z in range(len(splits))]
    pd.DataFrame({"slice": range(len(splits)), "name": names, "split": splits}).to_csv(split)
    return volume, split
