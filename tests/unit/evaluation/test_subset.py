"""The train slices evaluation scores: seeded, evenly spread, never more than asked."""

import numpy as np
import pytest

from xrayseg.evaluation.subset import spread_subset

BLOCK = list(range(7, 332))  # a 325-slice train block starting at slice 7


def test_exactly_the_count_asked_for_in_order_and_from_the_block():
    for count in (1, 2, 39, 40, 41, 100, 324):
        picked = spread_subset(BLOCK, count, seed=0)
        assert len(picked) == len(set(picked)) == count
        assert picked == sorted(picked) and set(picked) <= set(BLOCK)


@pytest.mark.parametrize("count", [0, None, 325, 1000])
def test_all_slices_when_none_asked_or_fewer_exist(count):
    assert spread_subset(BLOCK, count, seed=3) == BLOCK


def test_the_same_seed_gives_the_same_slices_and_other_seeds_others():
    first = spread_subset(BLOCK, 40, seed=11)
    assert spread_subset(BLOCK, 40, seed=11) == first
    others = {tuple(spread_subset(BLOCK, 40, seed=s)) for s in range(20)}
    assert len(others) > 10


def test_spread_one_per_equal_stretch_of_the_block():
    for seed in range(10):
        picked = np.array(spread_subset(BLOCK, 40, seed=seed)) - BLOCK[0]
        stretch = len(BLOCK) / 40
        starts = stretch * np.arange(40)
        assert np.all(picked >= np.floor(starts)) and np.all(picked < starts + stretch)
        gaps = np.diff(picked)
        assert gaps.min() >= np.floor(stretch) and gaps.max() <= np.ceil(stretch)


def test_the_first_and_last_stretch_are_both_covered_whatever_the_seed():
    for seed in range(50):
        picked = spread_subset(BLOCK, 10, seed=seed)
        assert picked[0] < BLOCK[0] + 33 and picked[-1] >= BLOCK[-1] - 33


def test_works_on_any_sequence_of_slice_numbers():
    assert spread_subset(range(3), 2, seed=0) in ([0, 1], [0, 2], [1, 2])
    assert spread_subset([], 5, seed=0) == []
