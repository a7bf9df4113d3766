"""Which train slices evaluation scores: a seeded, evenly spread subset of the train block.

Train-split scores exist to show the generalisation gap, and neighbouring slices are nearly
identical, so a few dozen slices spread over the block measure it as well as hundreds do, at a
fraction of the cost on a real-size stack.
"""

import numpy as np


def spread_subset(slices, count, seed):
    """`count` of `slices` (in order), evenly spaced with a seeded offset; all when count is 0,
    None or at least len(slices).

    The block is cut into `count` equal stretches of len(slices) / count (> 1) slices and the
    same seeded fraction of the way into each is taken, so the picks are distinct, one per
    stretch, and cover the whole block; the same seed gives the same slices.
    """
    slices = list(slices)
    if not count or count >= len(slices):
        return slices
    step = len(slices) / count
    offset = np.random.default_rng(seed).uniform(0, step)
    positions = np.floor(offset + step * np.arange(count)).astype(int)
    return [slices[i] for i in positions]
