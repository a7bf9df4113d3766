"""Is a new scan's grey-value distribution far from the training data's? (shift.csv)

A model sees grey values through the training normalisation (the train slices' raw values at
data.normalise_percentiles, 0.5 and 99.5 by default, become 0 and 1). A scan imaged at another
energy, exposure or reconstruction scale lands elsewhere on that axis, and the model then
segments it wrongly without any error. So both scans are compared on that normalised axis, where
a difference is a fraction of the training grey range:

    shift_q = P_q(new scan, normalised) - P_q(train slices, normalised), q in (1, 50, 99)

and the set is flagged when any |shift_q| exceeds the tolerance (predict.<set>.shift_tolerance,
by default a tenth of the training grey range; on the electrode data about 3,000 grey levels,
half the gap between the YSZ and Ni means). The tails (1, 99) move with gain and offset changes;
the median also moves when the phase mix differs a lot, so a flag on the median alone can mean a
different sample rather than different imaging (shift.csv says which percentile moved).

Percentiles come from a sample: up to SAMPLE_SLICES slices spread evenly over the stack (train
block), every k-th pixel so that about SAMPLE_PIXELS pixels are used.
"""

import math

import numpy as np

REFERENCE_PERCENTILES = (1.0, 50.0, 99.0)
SAMPLE_SLICES = 32
SAMPLE_PIXELS = 4_000_000


def sampled_slices(slices, max_slices=SAMPLE_SLICES):
    """Up to `max_slices` of the given slice indices, spread evenly, first and last included."""
    slices = list(slices)
    if len(slices) <= max_slices:
        return slices
    positions = np.linspace(0, len(slices) - 1, max_slices).round().astype(int)
    return [slices[p] for p in sorted(set(positions.tolist()))]


def pixel_stride(n_slices, shape, max_pixels=SAMPLE_PIXELS):
    """Step k (rows and columns) so that every k-th pixel of n_slices slices is <= max_pixels."""
    pixels = n_slices * shape[0] * shape[1]
    return max(1, math.ceil(math.sqrt(pixels / max_pixels)))


def sample_percentiles(read, slices, percentiles=REFERENCE_PERCENTILES):
    """Percentiles of a pixel sample of the given slices; read(z) returns slice z (2-D)."""
    chosen = sampled_slices(slices)
    if not chosen:
        raise ValueError("no slices to sample grey values from")
    first = read(chosen[0])
    stride = pixel_stride(len(chosen), first.shape)
    sample = [first[::stride, ::stride].ravel()]
    sample += [read(z)[::stride, ::stride].ravel() for z in chosen[1:]]
    return np.percentile(np.concatenate(sample).astype(np.float64), percentiles)


def grey_shift(train, new, tolerance, normalisation, percentiles=REFERENCE_PERCENTILES):
    """shift.csv rows and whether the set is flagged.

    train, new: normalised percentiles; normalisation: {low, high} raw values mapped to 0 and 1
    (for the grey-value columns). A row is flagged when |new - train| > tolerance.
    """
    if not tolerance > 0:
        raise ValueError(f"shift_tolerance must be positive, got {tolerance}")
    low, high = float(normalisation["low"]), float(normalisation["high"])
    rows = []
    for q, before, after in zip(percentiles, train, new, strict=True):
        shift = float(after - before)
        rows.append(
            {
                "percentile": float(q),
                "train": float(before),
                "new": float(after),
                "shift": shift,
                "train_grey": low + float(before) * (high - low),
                "new_grey": low + float(after) * (high - low),
                "tolerance": float(tolerance),
                "flagged": bool(abs(shift) > tolerance),
            }
        )
    return rows, any(row["flagged"] for row in rows)


def shift_message(set_name, rows):
    """The WARNING logged for a flagged set: which percentiles moved and by how much."""
    moved = ", ".join(
        f"P{row['percentile']:g} {row['train_grey']:.6g} -> {row['new_grey']:.6g} "
        f"({row['shift']:+.2f} of the training range)"
        for row in rows
        if row["flagged"]
    )
    return (
        f"prediction set {set_name!r}: grey values are far outside the training data's "
        f"({moved}; tolerance {rows[0]['tolerance']:g}). Segmentations of a shifted scan can be "
        "badly wrong: check the scan's bit depth, scaling and reconstruction, or train on it"
    )
