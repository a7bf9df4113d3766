"""Neighbouring slices as input channels (the 2.5-D models), never crossing a split.

A model with `context` k sees slices z-k .. z+k as 2k+1 channels. Neighbours outside the slice's own
split block (a guard slice, another split, or the stack's end) are replaced by the nearest slice of
the block on that side (edge replication), so no held-out slice ever feeds a train input.
"""

import numpy as np


def context_indices(z, context, allowed):
    """Slice indices feeding slice z: z-context .. z+context, clamped into the set `allowed`.

    `allowed` holds the slice indices of z's split block; z itself must be in it.
    """
    allowed = set(allowed)
    if z not in allowed:
        raise ValueError(f"slice {z} is not among the allowed slices")
    indices = []
    for offset in range(-context, context + 1):
        step = 1 if offset > 0 else -1
        chosen = z
        for candidate in range(z + step, z + offset + step, step) if offset else []:
            if candidate not in allowed:
                break
            chosen = candidate
        indices.append(chosen)
    return indices


def context_stack(raw_volume, z, context, allowed):
    """(2*context+1, H, W) float32 array of slice z and its in-block neighbours."""
    return np.stack(
        [np.asarray(raw_volume[i], dtype=np.float32) for i in context_indices(z, context, allowed)]
    )
