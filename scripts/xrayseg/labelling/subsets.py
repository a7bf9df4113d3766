"""Nested, seeded, evenly spread subsets of the labelled train slices (the learning curve's points).

Nested: the subset of n slices holds the subset of every smaller n, so a point differs from the
previous one only by the slices added, not by a fresh draw (which would add its own noise to the
curve). Evenly spread: the k-th slice taken sits at fraction frac(offset + k / phi) of the train
block (phi the golden ratio, offset seeded). By the three-gap theorem the first n such points cut
the block into gaps of at most three lengths, the largest at most phi^2 / n of the block: every
prefix covers the block nearly evenly, from the two-slice point to the last (a slice already
taken is skipped).

Each point trains on the split as if only its subset were labelled (subset_split.csv): the train
slices outside it are set aside as guard slices, so patches come only from the subset and a pixel
model fits only on it. (A 2.5-D network still takes its neighbours from the true blocks.)
"""

import math

import numpy as np
import pandas as pd

from xrayseg.data.labelled import labelled_slices_of
from xrayseg.data.split import GUARD
from xrayseg.io.tables import write_csv

INVERSE_GOLDEN = (math.sqrt(5) - 1) / 2
SUBSET_COLUMN = "learning_curve_subset"


def nested_order(slices, seed):
    """All of `slices` (sorted first) in the order the learning curve adds them."""
    slices = sorted(int(z) for z in slices)
    count = len(slices)
    offset = np.random.default_rng(seed).uniform(0, 1)
    order, taken, k = [], set(), 0
    while len(order) < count:
        index = min(int(((offset + k * INVERSE_GOLDEN) % 1.0) * count), count - 1)
        if index not in taken:
            taken.add(index)
            order.append(slices[index])
        k += 1
    return order


def nested_subset(slices, n, seed):
    """The first min(n, len(slices)) slices of nested_order, sorted."""
    return sorted(nested_order(slices, seed)[: int(n)])


def subset_split(split_frame, n, seed, source="split.csv"):
    """The split table as a learning-curve point sees it: labelled train slices outside the
    n-slice subset become guard slices (unlabelled train slices too: they give nothing to train
    on). A column learning_curve_subset marks the subset."""
    labelled = labelled_slices_of(split_frame, "train", source)
    if not labelled:
        raise ValueError(f"{source}: no labelled train slice for a learning curve")
    chosen = set(nested_subset(labelled, n, seed))
    frame = split_frame.copy()
    in_subset = frame["slice"].isin(chosen)
    frame.loc[(frame["split"] == "train") & ~in_subset, "split"] = GUARD
    frame[SUBSET_COLUMN] = in_subset
    return frame


def write_subset_split(split_csv, n, seed, out_csv):
    """subset_split.csv of one learning-curve point."""
    frame = subset_split(pd.read_csv(split_csv), n, seed, split_csv)
    write_csv(frame, out_csv)
    return frame
