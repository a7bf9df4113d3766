"""Where patches are cut: a non-overlapping grid per slice whose offset changes along the stack.

A slice whose side is not a multiple of the patch size leaves a border strip of `side % size`
pixels that one grid cannot reach. Each slice therefore takes one of the four extreme grid offsets
(flush with the top or bottom edge, and with the left or right edge); a split's slices cycle
through the four in a seeded random order. Any four consecutive slices of a split then cover the
whole slice area, and within a slice the tiles never overlap.
"""

import numpy as np


def corner_offsets(height, width, size):
    """The four grid offsets (oy, ox) that put the grid flush against each pair of slice edges.

    Every pixel lies in a tile of at least one of these grids: a row outside the top-flush grid
    (the bottom strip) is inside the bottom-flush grid, because the strip is narrower than a tile.
    """
    spare_y, spare_x = height % size, width % size
    return [(0, 0), (0, spare_x), (spare_y, 0), (spare_y, spare_x)]


def slice_offsets(n_slices, height, width, size, rng):
    """Grid offset (oy, ox) of each of `n_slices` consecutive slices of one split.

    The four corner offsets repeat in one order drawn from `rng`, so any four consecutive slices
    use all four.
    """
    corners = corner_offsets(height, width, size)
    order = [corners[i] for i in rng.permutation(len(corners))]
    return [order[i % len(order)] for i in range(n_slices)]


def tile_slice(image, size, offset_y, offset_x):
    """The grid's tiles of one 2-D slice as a (rows, cols, size, size) array, plus the origins.

    `origins` is a (rows, cols, 2) int array of each tile's top-left (y, x); tile [i, j] of the
    array holds image[y : y + size, x : x + size] for origins[i, j] = (y, x).
    """
    height, width = image.shape
    if size > min(height, width):
        raise ValueError(f"patch size {size} is larger than the {height}x{width} slice")
    rows, cols = (height - offset_y) // size, (width - offset_x) // size
    region = image[offset_y : offset_y + rows * size, offset_x : offset_x + cols * size]
    tiles = region.reshape(rows, size, cols, size).swapaxes(1, 2)
    ys = offset_y + size * np.arange(rows)
    xs = offset_x + size * np.arange(cols)
    origins = np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1)
    return tiles, origins
