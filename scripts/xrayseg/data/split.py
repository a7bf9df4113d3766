"""Assign every slice to train, val, test or guard in contiguous blocks along the stack.

Layout along the stack: train | guard | val | guard | test. Neighbouring tomogram slices are nearly
identical, so a random split leaks; contiguous blocks separated by unused guard slices do not.
"""

import pandas as pd

from xrayseg.io.atomic import atomic_output
from xrayseg.io.volume import read_volume_info
from xrayseg.settings.split_blocks import GUARD, SPLITS, assign_splits

__all__ = ["GUARD", "SPLITS", "assign_splits", "slices_of", "split_table", "write_split_table"]


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
    names = read_volume_info(volume_path).raw_names
    frame = split_table(names, split["val_fraction"], split["test_fraction"], split["guard_slices"])
    with atomic_output(out_csv) as tmp:
        frame.to_csv(tmp, index=False)
    return frame
