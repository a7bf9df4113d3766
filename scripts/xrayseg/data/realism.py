"""How real does a volume look? The statistics that tell real tomograms from easy volumes.

The statistics that tell a real Ni-YSZ tomogram from an easy synthetic volume, measured the same way
on both (benchmarks/realism.py prints them).

Interior noise (the method of ../shared/tools/realism.py, copied here so the project carries it):
on 6 slices mid-stack, per phase, on its interior (pixels at least 4 px, city block, from any other
phase in their slice), grey values minus the phase's mean in each slice:
  noise       their std, as a fraction of the pore-to-YSZ contrast of the interior means
  corr x+d    correlation between pixels d apart along x (d = 1, 2, 4, 8)
  corr z+d    correlation between slices d apart (d = 1, 2)
Besides (DESIGN.md's other facts, measured here by this module's own method):
  spread      each class's grey std over all its pixels, as a fraction of the pore-to-YSZ contrast
              of the all-pixel class means (partial volume, noise, shading and drift together)
  edge rise   the 10-90 % width (px) of the mean grey profile across pore->Ni edges, against the
              signed 3-D distance to the edge, over 8 px either side, farther than 6 px from YSZ
  reads mid   the share of pore and Ni pixels whose grey is nearer the YSZ interior mean than
              their own class's: the partial-volume bands that read as YSZ (no real target)
Phases are the first three classes in label order (pore, YSZ, Ni); other label values (the
ingest's ignore index on unlabelled slices) are left out.
"""

import numpy as np
from scipy import ndimage

PHASES = ("pore", "YSZ", "Ni")
INTERIOR_MARGIN = 4
CORRELATION_LAGS_X = (1, 2, 4, 8)
CORRELATION_LAGS_Z = (1, 2)
EDGE_REACH = 8
EDGE_CLEARANCE = 6

# Measured with ../shared/tools/realism.py (the method above) on the real 500 x 501 x 501 Ni-YSZ
# tomogram, slices 200-205 counted from 0 (files 0201-0206): interior grey means pore 22.7k,
# YSZ 36.4k (contrast 13.7k); noise std 805 / 738 / 737 grey levels.
REAL_INTERIOR = {
    "pore": {"noise": 0.059, "x": (0.82, 0.47, 0.23, 0.12), "z": (0.68, 0.27)},
    "YSZ": {"noise": 0.054, "x": (0.79, 0.40, 0.16, 0.13), "z": (0.69, 0.27)},
    "Ni": {"noise": 0.054, "x": (0.78, 0.38, 0.12, 0.07), "z": (0.66, 0.21)},
}
# ../shared/DESIGN.md ("Facts about the real data"): class means 22.7k / 35.0k / 40.9k and
# within-class std 2.4k / 1.3k / 1.7k over the whole tomogram; the std as a fraction of the
# pore-to-YSZ contrast of those means (12.3k).
REAL_SPREAD = {"pore": 2400 / 12300, "YSZ": 1300 / 12300, "Ni": 1700 / 12300}
# DESIGN.md: the grey value rises 10-90 % across a pore->Ni edge over about 5 px (how it was
# measured there is not recorded).
REAL_EDGE_RISE_PX = 5.0


def middle_slices(depth, count=6):
    """[first, last) of `count` slices mid-stack (realism.py's default)."""
    first = max(0, depth // 2 - count // 2)
    return first, min(depth, first + count)


def interior_masks(labels, n_phases=3, margin=INTERIOR_MARGIN):
    """{phase: bool mask} of the pixels at least `margin` px (city block) from any other phase
    in their slice (2-D erosion per slice)."""
    return {
        k: np.stack([ndimage.binary_erosion(s == k, iterations=margin) for s in labels])
        for k in range(n_phases)
    }


def correlation(a, b):
    """Pearson correlation of the pixel pairs where neither is NaN (NaN under 100 pairs)."""
    ok = ~np.isnan(a) & ~np.isnan(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 100 else float("nan")


def interior_noise(raw, labels, n_phases=3, interiors=None):
    """(contrast, {phase: {"noise", "x", "z"}}) of a few slices: see the module docstring.
    `interiors`: interior_masks(labels) when already at hand."""
    raw = np.asarray(raw, dtype=np.float64)
    if interiors is None:
        interiors = interior_masks(labels, n_phases)
    means = [raw[interiors[k]].mean() for k in range(n_phases)]
    contrast = abs(means[1] - means[0])
    found = {}
    for k in range(n_phases):
        r = np.where(interiors[k], raw, np.nan)
        r = r - np.nanmean(r, axis=(1, 2), keepdims=True)
        found[PHASES[k] if k < len(PHASES) else str(k)] = {
            "noise": float(np.nanstd(r)) / contrast,
            "x": tuple(correlation(r[:, :, :-d], r[:, :, d:]) for d in CORRELATION_LAGS_X),
            "z": tuple(correlation(r[:-d], r[d:]) for d in CORRELATION_LAGS_Z),
        }
    return contrast, found


def class_spread(slices, n_phases=3):
    """{phase: grey std / contrast} over every pixel of each class in the (raw, labels) slice
    pairs `slices` yields, the contrast being |mean(YSZ) - mean(pore)| over all their pixels."""
    sums = np.zeros((n_phases, 3))
    for raw, labels in slices:
        raw = np.asarray(raw, dtype=np.float64)
        for k in range(n_phases):
            values = raw[labels == k]
            sums[k] += (values.size, values.sum(), np.square(values).sum())
    counts, totals, squares = sums.T
    means = totals / counts
    stds = np.sqrt(np.maximum(squares / counts - means**2, 0.0))
    contrast = abs(means[1] - means[0])
    return {PHASES[k]: float(stds[k] / contrast) for k in range(n_phases)}


def distance_to(labels, cls):
    """Euclidean distance (px) of every voxel to the nearest voxel of class `cls` (inf when the
    block has none)."""
    if not np.any(labels == cls):
        return np.full(labels.shape, np.inf)
    return ndimage.distance_transform_edt(labels != cls)


def edge_profile(
    raw, labels, core, dark=0, bright=2, other=1, reach=EDGE_REACH, clearance=EDGE_CLEARANCE
):
    """(positions, mean grey) across dark->bright edges, per half pixel of the signed 3-D
    distance to the edge (negative inside `dark`, positive inside `bright`), over the
    pixels of the slices `core` (a slice of the block) within `reach` px of both phases and
    farther than `clearance` from `other`. The block should reach `reach` slices beyond the core,
    so that the distances see the phases above and below."""
    to_dark, to_bright, to_other = (distance_to(labels, cls)[core] for cls in (dark, bright, other))
    near = (to_dark <= reach) & (to_bright <= reach) & (to_other > clearance)
    # Distances run between voxel centres; the edge lies half a voxel beyond the last one.
    signed = np.where(to_dark == 0, 0.5 - to_bright, to_dark - 0.5)
    positions = signed[near]
    greys = np.asarray(raw[core], dtype=np.float64)[near]
    edges = np.arange(-reach, reach + 0.5, 0.5)
    bins = np.digitize(positions, edges) - 1
    keep = (bins >= 0) & (bins < len(edges) - 1)
    counts = np.bincount(bins[keep], minlength=len(edges) - 1)
    sums = np.bincount(bins[keep], weights=greys[keep], minlength=len(edges) - 1)
    # Each bin at the mean distance of its pixels (on a grid, they sit at a bin's edge).
    places = np.bincount(bins[keep], weights=positions[keep], minlength=len(edges) - 1)
    filled = counts > 0
    return places[filled] / counts[filled], sums[filled] / counts[filled]


def rise_width(positions, profile, low=0.1, high=0.9, plateau=2):
    """Distance between the `low` and `high` fractions of the rise from the mean of the first
    `plateau` profile values to the mean of the last (NaN for a profile that does not rise)."""
    if len(profile) < 2 * plateau:
        return float("nan")
    start, end = np.mean(profile[:plateau]), np.mean(profile[-plateau:])
    if not end > start:
        return float("nan")
    fraction = np.maximum.accumulate((profile - start) / (end - start))
    return float(np.interp(high, fraction, positions) - np.interp(low, fraction, positions))


def reads_as_middle(raw, labels, interior_means):
    """Share of the pixels labelled as the outer classes (0 and 2) whose grey is nearer the
    middle class's interior mean than to their own class's."""
    raw = np.asarray(raw, dtype=np.float64)
    means = np.asarray(interior_means, dtype=np.float64)
    nearest = np.argmin(np.abs(raw[..., None] - means), axis=-1)
    outer = (labels == 0) | (labels == 2)
    return float(np.mean(nearest[outer] == 1)) if outer.any() else float("nan")


def spaced_slices(depth, count=64):
    """Indices of up to `count` slices evenly spread over a stack of `depth`."""
    return np.unique(np.linspace(0, depth - 1, min(count, depth)).round().astype(int))


def measure_realism(raw, labels, first=None, last=None):
    """Every statistic of the module docstring for a volume (`raw`, `labels`: arrays or HDF5
    datasets of slices): the interior noise, edge and reads-mid figures on slices [first, last)
    (default 6 mid-stack), the class spreads on up to 64 slices spread over the stack."""
    depth = len(raw)
    if first is None or last is None:
        first, last = middle_slices(depth)
    block_first, block_last = max(0, first - EDGE_REACH), min(depth, last + EDGE_REACH)
    block_raw = np.asarray(raw[block_first:block_last], dtype=np.float64)
    block_labels = np.asarray(labels[block_first:block_last])
    core = slice(first - block_first, last - block_first)
    noise_raw, noise_labels = block_raw[core], block_labels[core]
    interiors = interior_masks(noise_labels)
    contrast, interior = interior_noise(noise_raw, noise_labels, interiors=interiors)
    interior_means = [float(noise_raw[interiors[k]].mean()) for k in range(3)]
    positions, profile = edge_profile(block_raw, block_labels, core)
    spread = class_spread((raw[z], labels[z]) for z in spaced_slices(depth))
    return {
        "slices": (first, last),
        "contrast": contrast,
        "interior": interior,
        "spread": spread,
        "edge_rise_px": rise_width(positions, profile),
        "reads_mid": reads_as_middle(noise_raw, noise_labels, interior_means),
    }
