"""Triple-phase boundary density along the stack: one value per window of consecutive slices.

A model that predicts each slice on its own adds boundary wherever edges flicker from slice to
slice; where along the block that happens shows in the TPB density of short runs of slices. Each
window's density is exactly tpb_densities of the sub-volume of its slices (the same edge-counting
rule, microstructure.counting), computed here from the edge maps of the whole volume at once.
"""

import numpy as np

from xrayseg.microstructure.counting import (
    check_labels,
    check_voxel_size,
    counted_edge_maps,
    triple_edge_maps,
)


def window_starts(n_slices, window, step=None):
    """First slice of every whole window of `window` slices, `step` apart (default: window, so
    the windows tile the stack); a last window that would run past the stack is left out."""
    if window < 2:
        raise ValueError(
            f"a TPB window needs at least 2 slices (edges along the stack), got {window}"
        )
    step = window if step is None else int(step)
    if step < 1:
        raise ValueError(f"window step must be at least 1, got {step}")
    return list(range(0, n_slices - window + 1, step))


def tpb_profile(labels, triple, window, step=None, voxel_size=1.0):
    """(window starts, TPB density per window) of a Z x Y x X labelled volume for one triple of
    phases, windows as window_starts gives them. NaN for a window without a counted edge site."""
    labels = check_labels(labels)
    if labels.ndim != 3:
        raise ValueError(
            f"a TPB profile needs a volume (slices, height, width), got {labels.shape}"
        )
    voxel_size = check_voxel_size(voxel_size)
    starts = window_starts(labels.shape[0], window, step)
    edges = _per_slice(triple_edge_maps(labels, triple))
    sites = _per_slice(counted_edge_maps(labels))
    densities = []
    for start in starts:
        total = 0.0
        for axes in edges:
            # Edges along the stack lie in one slice; the others join slice z to z + 1, so a
            # window of slices start .. start + window - 1 holds window - 1 of their layers.
            stop = start + window if axes == (1, 2) else start + window - 1
            counted = sites[axes][start:stop].sum()
            if counted == 0:
                total = np.nan
                break
            total += edges[axes][start:stop].sum() / counted
        densities.append(total / voxel_size**2)
    return starts, np.asarray(densities, dtype=np.float64)


def _per_slice(maps):
    """{axes: count per layer along the stack} of a dict of 3-D boolean edge maps."""
    return {axes: m.reshape(m.shape[0], -1).sum(axis=1) for axes, m in maps.items()}
