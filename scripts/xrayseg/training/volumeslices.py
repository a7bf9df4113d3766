"""Slices of volume.h5 read on demand, for the pixel models' fit.

A pixel model fits on train slices but may use only a few of them (the random forest: at most
`slices`), and the whole train block of a 500 x 501 x 501 stack is 1.3 GB of raw and labels: each
slice is read when the model asks for it, never the block at once.
"""

from collections.abc import Sequence

import numpy as np


class VolumeSlices(Sequence):
    """The slices `slices` (indices along Z) of an open HDF5 dataset, one read per access."""

    def __init__(self, dataset, slices):
        self.dataset = dataset
        self.slices = [int(z) for z in slices]

    def __len__(self):
        return len(self.slices)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return VolumeSlices(self.dataset, self.slices[index])
        return np.asarray(self.dataset[self.slices[index]])
