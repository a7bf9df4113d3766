"""Whole blocks of slices predicted as volumes by a volumetric (3-D) network, slab by slab.

A 3-D network decides each voxel from a box around it along the stack as well as in the slice,
so a block is predicted as one volume (inference.sliding_window in 3-D, Gaussian-weighted over
windows of the training patch depth) rather than slice by slice. To keep memory bounded on a
long block (a whole new scan is one block), the block is predicted in slabs of at most
`slab_slices` output slices, each with a halo of half the window depth on either side where the
block has it; a slab keeps only its own slices. Every kept slice then sees at least the context
a window centred on it would give, and only slices near slab seams differ (slightly) from
predicting the whole block at once.

Context never comes from outside the block: a slab is clamped to the block, and a block shorter
than the window depth is mirrored at its end to the window's depth (the padding the sliding
window gives, and the padding 3-D training patches of a short block got; xrayseg.patches.cubes).

Only the slices asked for are predicted (with their halos): evaluation scores a spread subset of
a long train block, and each wanted slice, or run of them, becomes its own slab; slabs whose
predicted ranges overlap are merged, so no slice is predicted twice.
"""

import time

import numpy as np

# Output slices per slab: 64 slices of 501 x 501 (80 with their halo) take about 1 GB at the peak
# with the default small 3-D UNet (input, stitched logits and weights, the network's activations
# for one whole-slice window of 16 slices).
SLAB_SLICES = 64


def plan_slabs(wanted, block, window_depth, slab_slices=SLAB_SLICES):
    """[(predict_start, predict_stop, keep)] for the wanted slices of a block (first, stop).

    Runs of consecutive wanted slices are cut into the fewest pieces of at most `slab_slices`,
    as equal as can be; each piece
    is predicted over itself plus a halo of window_depth // 2 slices before it and
    (window_depth - 1) // 2 after it (a lone slice: exactly one window deep), clamped to the
    block. Neighbouring pieces whose predicted ranges overlap or touch are merged while the
    merged slab keeps at most slab_slices slices and predicts at most slab_slices +
    window_depth: a spread subset of a block then costs no more than the stretch it spans.
    `keep` lists the wanted slices a slab yields, in order."""
    first, stop = block
    wanted = sorted({int(z) for z in wanted})
    outside = [z for z in wanted if not first <= z < stop]
    if outside:
        raise ValueError(f"slices {outside[:5]} lie outside the block [{first}, {stop})")
    before, after = window_depth // 2, (window_depth - 1) // 2
    runs = []
    for z in wanted:
        if runs and runs[-1][-1] == z - 1:
            runs[-1].append(z)
        else:
            runs.append([z])
    pieces = []
    for run in runs:
        count = -(-len(run) // slab_slices)
        pieces += [[int(z) for z in part] for part in np.array_split(run, count)]
    slabs = []
    for piece in pieces:
        start, end = max(first, piece[0] - before), min(stop, piece[-1] + 1 + after)
        mergeable = slabs and start <= slabs[-1][1]
        if mergeable and len(slabs[-1][2]) + len(piece) <= slab_slices:
            mergeable = end - slabs[-1][0] <= slab_slices + window_depth
        else:
            mergeable = False
        if mergeable:
            previous_start, _, keep = slabs[-1]
            slabs[-1] = (previous_start, end, keep + piece)
        else:
            slabs.append((start, end, piece))
    return slabs


def block_volume_scores(volume_scores, raw, block, wanted, window_depth, slab_slices=SLAB_SLICES):
    """Yield (z, scores (n_classes, H, W), seconds) for each wanted slice of one block, in order.

    volume_scores: (1, D, H, W) float32 input -> (n_classes, D, H, W) scores (a volumetric
    predictor's); raw: slices indexable by z (an HDF5 dataset or a NewScan), read once per slab;
    block: (first, stop) of the block; seconds: the slab's prediction time shared by its slices.
    """
    for start, end, keep in plan_slabs(wanted, block, window_depth, slab_slices):
        slab = np.stack([np.asarray(raw[z], dtype=np.float32) for z in range(start, end)])
        started = time.perf_counter()
        scores = volume_scores(slab[None])
        seconds = (time.perf_counter() - started) / len(keep)
        for z in keep:
            yield z, scores[:, z - start], seconds
