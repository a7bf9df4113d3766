"""Planes of one split block along each axis: its slices (z) and the planes across them (y, x).

A block is a contiguous run of slices of one split, held as a (Z, Y, X) array. Its y-planes are
(Z, X) images (rows: the block's slices), its x-planes (Z, Y) images. A plane across the slices
spans only its own block, so it never holds a guard slice or another split's slice. Where voxels
are isotropic (as in the electrode tomograms) a y- or x-plane shows the same kind of structure
as a slice, which is what lets a 2-D network be trained on and predict every orientation.

Coordinates: a point (plane, row, col) of the planes of `axis` is the voxel (z, y, x) of the
volume given by volume_position; the block's first slice is row 0.
"""

import numpy as np

# Position of each axis in a (Z, Y, X) volume.
AXIS_INDEX = {"z": 0, "y": 1, "x": 2}
AXES = tuple(AXIS_INDEX)


def check_axes(axes, key="evaluate.axes"):
    """The axes as a tuple in the order given; a clear error naming `key` for an unknown or
    repeated axis."""
    axes = tuple(axes)
    if not axes:
        raise ValueError(f"{key}: name at least one of z, y, x")
    unknown = [axis for axis in axes if axis not in AXIS_INDEX]
    if unknown:
        raise ValueError(f"{key}: unknown axis {unknown[0]!r}; use z, y and x")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{key}: an axis is named twice in {list(axes)}")
    return axes


def plane_stack(block, axis):
    """The planes of `axis` of a (Z, Y, X) block as a (planes, rows, cols) view: z (Z, Y, X),
    y (Y, Z, X), x (X, Z, Y)."""
    return np.moveaxis(block, AXIS_INDEX[axis], 0)


def neighbour_indices(index, context, count):
    """Plane indices index-context .. index+context, clamped into 0 .. count-1 (the block's end
    plane repeats, as xrayseg.data.context does along the stack)."""
    return [min(max(index + offset, 0), count - 1) for offset in range(-context, context + 1)]


def padded_rows(planes, min_rows, fill=None):
    """(planes, max(rows, min_rows), cols) contiguous array: planes shorter than min_rows get
    rows added after their last row, mirrored from the plane's own rows (fill None: raw values)
    or set to `fill` (labels: the ignore index)."""
    short = min_rows - planes.shape[1]
    if short <= 0:
        return np.ascontiguousarray(planes)
    widths = ((0, 0), (0, short), (0, 0))
    if fill is not None:
        return np.pad(planes, widths, mode="constant", constant_values=fill)
    # A one-row plane has nothing to mirror: repeat it.
    return np.pad(planes, widths, mode="reflect" if planes.shape[1] > 1 else "edge")


def volume_position(axis, first_slice, plane, row, col):
    """(z, y, x) of point (row, col) of plane `plane` of `axis` in a block starting at
    `first_slice` (arrays broadcast)."""
    if axis == "z":
        return first_slice + plane, row, col
    if axis == "y":
        return first_slice + row, plane, col
    return first_slice + row, col, plane


def plane_position(axis, first_slice, z, y, x):
    """(plane, row, col) of voxel (z, y, x) among the planes of `axis` of a block starting at
    `first_slice`: the inverse of volume_position."""
    if axis == "z":
        return z - first_slice, y, x
    if axis == "y":
        return y, z - first_slice, x
    return x, z - first_slice, y


def check_contiguous(block, what="a split block"):
    """The block's slices as a list; an error unless they are consecutive."""
    block = [int(z) for z in block]
    if block and block != list(range(block[0], block[0] + len(block))):
        raise ValueError(f"{what} must be consecutive slices, got {block}")
    return block
