"""Assign every slice to train, val, test or guard in contiguous blocks along the stack.

Layout along the stack: train | guard | val | guard | test. Neighbouring tomogram slices are nearly
identical, so a random split leaks; contiguous blocks separated by unused guard slices do not.

split.csv: one row per slice: slice, name, split, labelled (True where the slice holds labels,
from volume.h5; a table without the column, written before sparse labels, counts as labelled
throughout). The blocks stay contiguous whatever is labelled; each must hold at least
split.min_labelled_slices labelled slices, checked here before any training.
"""

import pandas as pd

from xrayseg.io.atomic import atomic_output
from xrayseg.io.errors import InputError
from xrayseg.io.volume import read_volume_info
from xrayseg.settings.split_blocks import GUARD, SPLITS, assign_splits, labelled_block_problems

__all__ = [
    "GUARD",
    "SPLITS",
    "assign_splits",
    "labelled_flags",
    "labelled_slices_of",
    "slices_of",
    "split_table",
    "write_split_table",
]

LABELLED_COLUMN = "labelled"


def split_table(slice_names, val_fraction, test_fraction, guard_slices, labelled=None):
    """DataFrame with one row per slice: slice index, source name, split, labelled (a bool per
    slice; None: all)."""
    splits = assign_splits(len(slice_names), val_fraction, test_fraction, guard_slices)
    if labelled is None:
        labelled = [True] * len(slice_names)
    return pd.DataFrame(
        {
            "slice": range(len(slice_names)),
            "name": list(slice_names),
            "split": splits,
            LABELLED_COLUMN: [bool(flag) for flag in labelled],
        }
    )


def slices_of(split_frame, split):
    """Slice indices (sorted) of one split's block from a split table, labelled or not (2.5-D
    models take their neighbours from all of them)."""
    return sorted(split_frame.loc[split_frame["split"] == split, "slice"].tolist())


def labelled_flags(split_frame):
    """The labelled column as a bool Series aligned with the table (all True without it)."""
    if LABELLED_COLUMN not in split_frame:
        return pd.Series(True, index=split_frame.index)
    return split_frame[LABELLED_COLUMN].astype(bool)


def labelled_slices_of(split_frame, split):
    """Slice indices (sorted) of the labelled slices of one split."""
    chosen = (split_frame["split"] == split) & labelled_flags(split_frame)
    return sorted(split_frame.loc[chosen, "slice"].tolist())


def write_split_table(volume_path, split, out_csv):
    """split.csv for the slices of an ingested volume (the same blocks ingest normalised with).

    Raises InputError, before anything is written, when a block holds fewer labelled slices
    than split["min_labelled_slices"]."""
    info = read_volume_info(volume_path)
    names = info.raw_names
    frame = split_table(
        names,
        split["val_fraction"],
        split["test_fraction"],
        split["guard_slices"],
        info.labelled,
    )
    problems = labelled_block_problems(
        frame["split"].tolist(),
        frame[LABELLED_COLUMN].tolist(),
        split["min_labelled_slices"],
        names,
    )
    if problems:
        raise InputError("\n".join(f"split: {problem}" for problem in problems))
    with atomic_output(out_csv) as tmp:
        frame.to_csv(tmp, index=False)
    return frame
