"""Patches cut across the slices: from the y-planes or x-planes of one split block.

Every voxel of a labelled block has a label, so for isotropic data the planes across the slices
are training images as good as the slices, and a network trained on them has seen what
multi-axis prediction (evaluate.axes) asks it to predict. A split's block is read whole, turned
into its planes of one axis (xrayseg.data.planes: rows are the block's slices) and tiled and
deduplicated exactly as slices are (xrayseg.patches.build.cut_planes): grid offsets cycle
along the planes, near-duplicates are judged against the last planes of the same block.

A patch never crosses a block boundary: its rows are the block's own slices. A block thinner than
the patch (the small default volume) has its planes padded after its last slice by mirroring its
own rows, with those rows' labels ignored, so it still gives patches without a pixel from outside.

Origins are (z, y, x) of the patch's first row and column in the volume: a y-patch covers slices
z .. z+size-1 (rows) and x .. x+size-1 (columns) of plane y, an x-patch slices z .. z+size-1 and
y .. y+size-1 of plane x (xrayseg.data.planes.volume_position). Memory: the block twice (its
slices and its planes), 10 bytes per voxel: 800 MB for 319 slices of 501 x 501.
"""

import numpy as np

from xrayseg.data.planes import check_contiguous, padded_rows, plane_stack
from xrayseg.io.volume import IGNORE_INDEX


def block_planes(raw_volume, label_volume, block, axis, size):
    """(raw planes float32, label planes uint8) of a block's planes of `axis`, at least `size`
    rows tall (padded as the module says)."""
    block = check_contiguous(block)
    rows = slice(block[0], block[-1] + 1)
    raw = plane_stack(np.asarray(raw_volume[rows], dtype=np.float32), axis)
    labels = plane_stack(np.asarray(label_volume[rows], dtype=np.uint8), axis)
    return padded_rows(raw, size), padded_rows(labels, size, fill=IGNORE_INDEX)
