"""Class probabilities of a whole split block: along the stack and across it, averaged, smoothed.

A block is a contiguous run of slices of one split (xrayseg.data.split), held as a (Z, Y, X)
float32 array of normalised raw values. A 2-D or 2.5-D network (or a pixel model) predicts it as
planes along each axis asked for:

- z: the slices themselves, 2.5-D neighbours the neighbouring slices (today's prediction);
- y: the planes of constant y, each (Z, X), 2.5-D neighbours the neighbouring y-planes;
- x: the planes of constant x, each (Z, Y), 2.5-D neighbours the neighbouring x-planes.

Every plane is cut from the block alone, so a y- or x-plane spans only the block's slices and
never reaches a guard slice or another split; neighbours beyond the block's first or last plane
repeat that plane (as xrayseg.data.context does along z). The class probabilities of the axes are
averaged (volume-segmantics' multi-axis prediction). This is valid where voxels are isotropic, as
they are in the electrode tomograms: a network trained on z-slices then sees the same kind of
image in a y-plane.

`smooth_sigma` > 0 then smooths the probabilities along the stack with a Gaussian of that sigma in
slices, within the block (its ends repeat the end slice): the cheap 3-D baseline. A model whose
spec has dims 3 predicts the block in one go instead (Predictor.volume_probabilities).

Memory: the block's raw values (4 bytes per voxel) and its probabilities (4 bytes per voxel and
class), e.g. 100 MB + 300 MB for 100 slices of 501 x 501 and 3 classes, plus one plane's
prediction at a time.
"""

import numpy as np
from scipy.ndimage import gaussian_filter1d

from xrayseg.data.planes import AXIS_INDEX, check_axes, neighbour_indices


def plane_count(block_shape, axis):
    """How many planes of `axis` a (Z, Y, X) block holds."""
    return block_shape[AXIS_INDEX[axis]]


def plane(block, axis, index):
    """One plane of a (Z, Y, X) block: (Y, X) for z, (Z, X) for y, (Z, Y) for x."""
    return np.take(block, index, axis=AXIS_INDEX[axis])


def plane_input(block, axis, index, context=0):
    """The (2*context+1, rows, cols) float32 input of one plane and its in-block neighbours."""
    count = plane_count(block.shape, axis)
    if not 0 <= index < count:
        raise ValueError(f"plane {index} of axis {axis} is outside the block's {count} planes")
    return np.stack(
        [plane(block, axis, i) for i in neighbour_indices(index, context, count)]
    ).astype(np.float32, copy=False)


def add_plane(total, axis, index, probabilities):
    """Add one plane's (C, rows, cols) probabilities into a (Z, C, Y, X) total, in place."""
    if axis == "z":
        total[index] += probabilities
    elif axis == "y":
        total[:, :, index, :] += probabilities.transpose(1, 0, 2)
    else:
        total[:, :, :, index] += probabilities.transpose(1, 0, 2)


def axis_probabilities(predictor, block, axis, total, on_plane=None):
    """Add every plane of `axis` predicted by a plane predictor (2-D or 2.5-D) into `total`."""
    context = predictor.context
    for index in range(plane_count(block.shape, axis)):
        probabilities = predictor.probabilities(plane_input(block, axis, index, context))
        add_plane(total, axis, index, probabilities)
        if on_plane is not None:
            on_plane(axis, index)


def smooth_along_stack(probabilities, sigma):
    """(Z, C, Y, X) probabilities smoothed along Z by a Gaussian of `sigma` slices, in place.

    Within the block only: beyond its first and last slice the end slice repeats. The weights sum
    to one, so the classes still sum to one at every voxel. sigma 0 leaves them unchanged.
    """
    if sigma < 0:
        raise ValueError(f"evaluate.smooth_sigma must be at least 0, got {sigma}")
    if sigma > 0 and probabilities.shape[0] > 1:
        for c in range(probabilities.shape[1]):
            # One class at a time: a second full-size array is never needed.
            probabilities[:, c] = gaussian_filter1d(
                probabilities[:, c], sigma, axis=0, mode="nearest"
            )
    return probabilities


def block_probabilities(predictor, block, axes=("z",), smooth_sigma=0.0, on_plane=None):
    """(Z, C, Y, X) float32 class probabilities of a (Z, Y, X) block.

    A plane predictor's planes along each of `axes` are averaged; a volume predictor (dims 3)
    predicts the block at once and `axes` does not apply. Then smoothing along the stack
    (`smooth_sigma` slices; 0: none). `on_plane(axis, index)` is called after each plane (progress).
    """
    block = np.asarray(block, dtype=np.float32)
    if block.ndim != 3:
        raise ValueError(f"a block is (slices, height, width); got shape {block.shape}")
    if getattr(predictor.spec, "dims", 2) == 3:
        total = np.asarray(predictor.volume_probabilities(block), dtype=np.float32)
    else:
        axes = check_axes(axes)
        total = np.zeros((block.shape[0], predictor.n_classes, *block.shape[1:]), np.float32)
        for axis in axes:
            axis_probabilities(predictor, block, axis, total, on_plane)
        if len(axes) > 1:
            total /= len(axes)
    return smooth_along_stack(total, float(smooth_sigma))
