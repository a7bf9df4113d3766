"""Majority vote of class labels over a k x k x k box (a mode filter), exact in integers.

Each voxel takes the class most frequent in the box centred on it. A tie keeps the voxel's own
class when it is among the most frequent, else the lowest tied class. Beyond the volume the edge
voxels repeat (as scipy.ndimage's mode "nearest"). Labels outside 0..n_classes-1 (the ignore
index) count for no class and stay as they are.
"""

import numpy as np


def check_box(size):
    """The box side: an odd integer of at least 1 (1 changes nothing)."""
    if isinstance(size, bool) or int(size) != size or size < 1 or size % 2 == 0:
        raise ValueError(f"a majority-vote box side must be an odd integer >= 1, got {size!r}")
    return int(size)


def count_dtype(size):
    """The smallest unsigned integer type that holds a count of size**3 voxels (uint8 for the
    3 x 3 x 3 and 5 x 5 x 5 boxes: a quarter of the memory traffic of int32)."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if size**3 <= np.iinfo(dtype).max:
            return dtype
    raise ValueError(f"a majority-vote box of side {size} is too large")


def box_sum(values, size, axis):
    """Sums of `values` over windows of `size` centred on each index along `axis`, with the end
    values repeated beyond the array: `size` shifted views added (integer arithmetic: exact as
    long as the dtype holds the largest sum)."""
    radius = size // 2
    pad = [(0, 0)] * values.ndim
    pad[axis] = (radius, radius)
    padded = np.pad(values, pad, mode="edge")
    length = values.shape[axis]

    def window(offset):
        index = [slice(None)] * values.ndim
        index[axis] = slice(offset, offset + length)
        return padded[tuple(index)]

    total = window(0).copy()
    for offset in range(1, size):
        total += window(offset)
    return total


def class_box_counts(labels, n_classes, size, halo=(0, 0)):
    """(n_classes, Z', Y, X) voxels of each class in the box around each voxel (count_dtype);
    with `halo` (before, after) the first and last slices along axis 0 are context only and
    left out."""
    before, after = halo
    dtype = count_dtype(size)
    counts = []
    for cls in range(n_classes):
        count = (labels == cls).astype(dtype)
        for axis in range(labels.ndim):
            count = box_sum(count, size, axis)
        counts.append(count[before : count.shape[0] - after])
    return np.stack(counts)


def majority_vote(labels, n_classes, size, halo=(0, 0)):
    """`labels` (Z, Y, X) after a majority vote over size**3 boxes (a copy, same dtype).

    halo (before, after): slices at the start and end of `labels` that are only context (a slab
    of a longer volume read with its neighbours): the result leaves them out, and a slab with the
    halo a box needs (size // 2 on each side where the volume continues) gives exactly the
    slices the whole volume would.
    """
    size = check_box(size)
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ValueError(f"majority_vote takes a (Z, Y, X) volume, got shape {labels.shape}")
    before, after = halo
    own = labels[before : labels.shape[0] - after]
    if size == 1:
        return own.copy()
    counts = class_box_counts(labels, n_classes, size, halo)
    best = counts.max(axis=0)
    voted = np.argmax(counts, axis=0).astype(labels.dtype)
    is_class = own < n_classes
    own_index = np.minimum(own, n_classes - 1)[None].astype(np.intp)
    own_count = np.take_along_axis(counts, own_index, 0)[0]
    keep = ~is_class | (own_count == best)
    return np.where(keep, own, voted)
