"""Assign every slice to train, val, test or guard in contiguous blocks along the stack.

Layout along the stack: train | guard | val | guard | test. Neighbouring tomogram slices are nearly
identical, so a random split leaks; contiguous blocks separated by unused guard slices do not.
"""

import json

import h5py
import pandas as pd

from xrayseg.atomic import atomic_output

SPLITS = ("train", "val", "test")
GUARD = "guard"


def assign_splits(n_slices, val_fraction, test_fraction, guard_slices):
    """List of split names, one per slice, in stack order.

    Test is the last block, val the block before it, train the rest at the start; `guard_slices`
    unused slices sit between train and val and between val and test. Raises ValueError when a
    block would be empty.
    """
    n_test = round(n_slices * test_fraction)
    n_val = round(n_slices * val_fraction)
    n_train = n_slices - n_test - n_val - 2 * guard_slices
    if min(n_train, n_val, n_test) < 1:
        raise ValueError(
            f"split: {n_slices} slices cannot hold train/val/test blocks of "
            f"{n_train}/{n_val}/{n_test} slices with {guard_slices} guard slices between blocks; "
            "lower split.val_fraction, split.test_fraction or split.guard_slices, or add slices"
        )
    blocks = [
        ("train", n_train),
        (GUARD, guard_slices),
        ("val", n_val),
        (GUARD, guard_slices),
        ("test", n_test),
    ]
    return [name for name, count in blocks for _ in range(count)]


def split_table(slice_names, val_fraction, test_fraction, guard_slices):
    """DataFrame with one row per slice: slice index, source name, split."""
    splits = assign_splits(len(slice_names), val_fraction, test_fraction, guard_slices)
    return pd.DataFrame(
        {"slice": range(len(slice_names)), "name": list(slice_names), "split": splits}
    )


def slices_of(split_frame, split):
    """Slice indices (sorted) of one split from a split table."""
    return sorted(split_frame.loc[split_frame["split"] == split, "slice"].tolist())


def write_split_table(volume_path, split, out_csv):
    """split.csv for the slices of an ingested volume (the same blocks ingest normalised with)."""
    with h5py.File(volume_path, "r") as volume:
        names = json.loads(volume.attrs["raw_names"])
    frame = split_table(names, split["val_fraction"], split["test_fraction"], split["guard_slices"])
    with atomic_output(out_csv) as tmp:
        frame.to_csv(tmp, index=False)
    return frame
