"""How much of each phase belongs to a network that crosses the volume along one axis."""

import numpy as np
from scipy import ndimage

from xrayseg.microstructure.counting import check_labels


def connected_fraction(labels, phase, axis=0):
    """Share of `phase`'s voxels in components that touch both ends of the volume along `axis`.

    Components are face-connected (6-connectivity in 3-D, 4-connectivity in 2-D). A component
    spans when it has a voxel in the first and in the last layer along `axis` (the stack axis by
    default: slice 0 and slice -1). Ignored voxels (IGNORE_INDEX) are not the phase, so they cut
    paths: the result is a lower bound where ignored voxels sit inside the phase. NaN when the
    phase has no voxel.
    """
    labels = check_labels(labels)
    if not -labels.ndim <= axis < labels.ndim:
        raise ValueError(f"axis {axis} does not exist in a {labels.ndim}-D volume")
    mask = labels == phase
    phase_voxels = np.count_nonzero(mask)
    if phase_voxels == 0:
        return float("nan")
    structure = ndimage.generate_binary_structure(labels.ndim, 1)
    components, _ = ndimage.label(mask, structure=structure)
    first = np.unique(np.take(components, 0, axis=axis))
    last = np.unique(np.take(components, -1, axis=axis))
    spanning = np.intersect1d(first, last)
    spanning = spanning[spanning > 0]
    if spanning.size == 0:
        return 0.0
    is_spanning = np.zeros(components.max() + 1, dtype=bool)
    is_spanning[spanning] = True
    return np.count_nonzero(is_spanning[components]) / phase_voxels
