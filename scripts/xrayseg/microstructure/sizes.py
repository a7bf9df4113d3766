"""Particle and pore sizes: the local thickness of each phase, by PoreSpy.

The local thickness of a voxel is the diameter of the largest sphere that fits inside the phase
and covers the voxel (Hildebrand and Rüegsegger 1997). PoreSpy's
porespy.filters.local_thickness gives the sphere's radius in voxels, over integer radii (its
default brute-force method, every integer radius up to the largest distance to the phase's
boundary); this module reports the diameter, 2 x radius x voxel_size. The distribution is by
volume: the mean and the 10th, 50th and 90th percentiles (d10, d50, d90) of the thickness over the
phase's voxels, so a d50 of 1.2 um means half the phase's volume lies in parts at most 1.2 um thick.

The volume's faces are not walls (PoreSpy's distance transform lets the phase continue beyond
them), so a block cut from a larger sample does not shrink its particles. Ignored voxels
(IGNORE_INDEX) are not the phase: they bound it like another phase does.
"""

import math
import time

import numpy as np

from xrayseg.microstructure.counting import check_labels, check_voxel_size

PERCENTILES = (10, 50, 90)


def local_thickness(labels, phase, voxel_size=1.0):
    """The local thickness (diameter, in voxel_size units) of every voxel of class `phase`, as a
    1-D array in the volume's order; empty when the phase has no voxel, infinite when it fills
    the volume."""
    labels = check_labels(labels)
    voxel_size = check_voxel_size(voxel_size)
    mask = labels == phase
    if not mask.any():
        return np.zeros(0)
    if mask.all():
        # Nothing bounds the phase (the faces are not walls): its thickness is unbounded, and
        # PoreSpy's distance transform is infinite.
        return np.full(mask.size, np.inf)
    import porespy  # numba-compiled on first use: imported only when a size is measured

    radii = porespy.filters.local_thickness(mask)
    return 2 * voxel_size * radii[mask]


def size_distribution(labels, phase, voxel_size=1.0, percentiles=PERCENTILES):
    """{"mean": ..., "d10": ..., "d50": ..., "d90": ..., "seconds": ...} of the local thickness
    of class `phase` (NaN where it has no voxel, infinite where it fills the volume)."""
    start = time.perf_counter()
    thickness = local_thickness(labels, phase, voxel_size)
    if thickness.size and np.isinf(thickness).all():  # the phase fills the volume
        summary = {"mean": math.inf, **{f"d{p}": math.inf for p in percentiles}}
    elif thickness.size:
        values = np.percentile(thickness, percentiles)
        summary = {"mean": float(thickness.mean())}
        summary.update({f"d{p}": float(v) for p, v in zip(percentiles, values, strict=True)})
    else:
        summary = {"mean": math.nan, **{f"d{p}": math.nan for p in percentiles}}
    summary["seconds"] = time.perf_counter() - start
    return summary
