"""Which slices of the stack have labels: split.csv's `labelled` column.

Sparse labelling (labels for some slices only) marks each slice in split.csv with a boolean
`labelled`; an unlabelled slice's labels in volume.h5 hold the ignore value. A split table without
the column comes from a fully labelled stack, so every slice counts as labelled.
"""

import numpy as np

LABELLED = "labelled"
TRUE_TEXT = {"true", "1", "yes"}
FALSE_TEXT = {"false", "0", "no"}


def labelled_flags(split_frame, source="split.csv"):
    """Boolean array, one per row of the split table: whether that slice has labels (all True
    when the table has no `labelled` column). An unreadable value is an error naming `source`."""
    if LABELLED not in split_frame.columns:
        return np.ones(len(split_frame), dtype=bool)
    column = split_frame[LABELLED]
    if column.dtype == bool:
        return column.to_numpy()
    text = column.astype(str).str.strip().str.lower()
    unknown = sorted(set(text) - TRUE_TEXT - FALSE_TEXT)
    if unknown:
        raise ValueError(f"{source}: column {LABELLED!r} holds {unknown[:3]}; expected True/False")
    return text.isin(TRUE_TEXT).to_numpy()


def labelled_slices_of(split_frame, split, source="split.csv"):
    """Sorted slice indices of one split that have labels."""
    flags = labelled_flags(split_frame, source)
    chosen = (split_frame["split"] == split).to_numpy() & flags
    return sorted(int(z) for z in split_frame.loc[chosen, "slice"])


def unlabelled_slices(split_frame, source="split.csv"):
    """Sorted indices of every slice without labels (any split, guard slices included)."""
    flags = labelled_flags(split_frame, source)
    return sorted(int(z) for z in split_frame.loc[~flags, "slice"])
