"""The clean-up of a volume that arrives slab by slab, in order (a new scan being predicted).

The majority vote needs size // 2 slices of context on each side: slabs go out that many slices
late. Island removal needs the whole volume surveyed first (xrayseg.cleanup.survey): pass 1
surveys the voted slabs as they go out (the caller stores them), pass 2 relabels the stored slabs
with the plan. Both give exactly what the in-memory clean-up gives on the whole volume.
"""

import numpy as np

from xrayseg.cleanup.majority import check_box, majority_vote
from xrayseg.cleanup.survey import merge, resolve, survey_slab


def stream_majority(slabs, n_classes, size):
    """Yield the majority-voted slices of consecutive (Z, Y, X) label slabs, as slabs (the
    first goes out once size // 2 slices after it have arrived; together they cover every slice
    once, in order)."""
    radius = check_box(size) // 2
    before = None  # up to `radius` input slices just before the first pending one
    pending = None  # input slices not yet voted
    for slab in slabs:
        slab = np.asarray(slab)
        pending = slab if pending is None else np.concatenate([pending, slab])
        ready = len(pending) - radius
        if ready <= 0:
            continue
        context = 0 if before is None else len(before)
        block = pending if before is None else np.concatenate([before, pending])
        yield majority_vote(block, n_classes, size, halo=(context, radius))
        seen = pending[:ready] if before is None else np.concatenate([before, pending[:ready]])
        before = seen[len(seen) - radius :] if radius else seen[:0]
        pending = pending[ready:]
    if pending is not None and len(pending):
        context = 0 if before is None else len(before)
        block = pending if before is None else np.concatenate([before, pending])
        yield majority_vote(block, n_classes, size, halo=(context, 0))


class IslandSurveyor:
    """Pass 1 of island removal over slabs fed in order: add(slab) each, then plan()."""

    def __init__(self, n_classes, start=0):
        self.n_classes = n_classes
        self.next_slice = start
        self.survey = None

    def add(self, slab):
        part = survey_slab(slab, self.n_classes, self.next_slice)
        self.survey = part if self.survey is None else merge(self.survey, part)
        self.next_slice = part.stop

    def plan(self, min_voxels):
        """The IslandPlan (needs every slab of the volume added)."""
        if self.survey is None:
            raise ValueError("no slab was surveyed")
        return resolve(self.survey, min_voxels)
