"""The learning curve's subsets: nested, seeded, evenly spread; and each point's split."""

import math

import numpy as np
import pandas as pd
import pytest

from xrayseg.labelling.subsets import (
    SUBSET_COLUMN,
    nested_order,
    nested_subset,
    subset_split,
)

GOLDEN_SQUARED = ((1 + math.sqrt(5)) / 2) ** 2


@pytest.mark.parametrize("count", [5, 25, 319])
def test_each_subset_holds_every_smaller_one(count):
    slices = list(range(100, 100 + count))
    previous = set()
    for n in range(1, count + 1):
        subset = set(nested_subset(slices, n, seed=3))
        assert len(subset) == n and subset <= set(slices)
        assert previous <= subset
        previous = subset
    assert sorted(nested_order(slices, 3)) == slices


def test_the_seed_decides_the_subsets():
    slices = range(319)
    assert nested_subset(slices, 10, seed=1) == nested_subset(slices, 10, seed=1)
    assert nested_subset(slices, 10, seed=1) != nested_subset(slices, 10, seed=2)


@pytest.mark.parametrize("count", [25, 100, 319])
@pytest.mark.parametrize("seed", range(4))
def test_every_prefix_is_spread_evenly_over_the_block(count, seed):
    """The largest gap between neighbouring picks (around the block, as the three-gap theorem
    counts it) is at most phi^2 / n of the block, plus a slice of rounding."""
    order = nested_order(range(count), seed)
    for n in range(2, count + 1):
        positions = np.sort(order[:n]) / count
        gaps = np.diff(np.r_[positions, positions[0] + 1])
        assert gaps.max() <= GOLDEN_SQUARED / n + 1 / count, (n, gaps.max())


def test_the_spread_beats_random_draws_of_the_same_size():
    rng = np.random.default_rng(0)
    count, n = 319, 10

    def largest_gap(picks):
        positions = np.sort(picks) / count
        return np.diff(np.r_[positions, positions[0] + 1]).max()

    random_gaps = [largest_gap(rng.choice(count, n, replace=False)) for _ in range(200)]
    assert largest_gap(nested_order(range(count), 0)[:n]) < np.percentile(random_gaps, 5)


def split_frame(labelled=None):
    splits = ["train"] * 12 + ["guard"] * 2 + ["val"] * 4 + ["guard"] * 2 + ["test"] * 4
    frame = pd.DataFrame(
        {"slice": range(len(splits)), "name": [f"s{i}" for i in range(24)], "split": splits}
    )
    if labelled is not None:
        frame["labelled"] = labelled
    return frame


def test_a_points_split_sets_the_train_slices_outside_its_subset_aside():
    frame = subset_split(split_frame(), 5, seed=0)
    train = frame.loc[frame["split"] == "train", "slice"].tolist()
    assert train == nested_subset(range(12), 5, seed=0)
    assert frame[SUBSET_COLUMN].sum() == 5
    untouched = split_frame()["split"] != "train"
    assert (frame.loc[untouched, "split"] == split_frame().loc[untouched, "split"]).all()
    # More slices asked than labelled: all of them.
    assert (subset_split(split_frame(), 40, 0)["split"] == "train").sum() == 12


def test_only_labelled_train_slices_are_drawn():
    labelled = [z % 3 == 0 for z in range(24)]
    frame = subset_split(split_frame(labelled), 40, seed=0)
    assert frame.loc[frame["split"] == "train", "slice"].tolist() == [0, 3, 6, 9]
    with pytest.raises(ValueError, match="no labelled train slice"):
        subset_split(split_frame([False] * 24), 2, seed=0)
