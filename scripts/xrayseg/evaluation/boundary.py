"""Boundary F1 per class: how well predicted phase boundaries lie on the true ones.

Pixel accuracy hardly notices a boundary shifted by a pixel or two, yet interface densities and
triple-phase boundaries (what a materials scientist computes from a segmentation) depend on them.
The score follows Csurka et al. (BF score): a boundary pixel counts as matched when a boundary
pixel of the other map lies within `tolerance` pixels (Euclidean).

Definitions:
- A boundary pixel of class c is a pixel of class c with a 4-neighbour of another class. Pixels
  under the ignore mask are neither boundary pixels nor neighbours, and the image edge is no
  boundary, so masked regions and cropping create no boundaries.
- Per class: precision = matched predicted / predicted boundary pixels, recall = matched true /
  true boundary pixels, F1 = 2 P R / (P + R). Counts add over slices, so a split's pooled score
  comes from summed counts, like the confusion matrix.
- No boundary in either map: F1 NaN (undefined, skipped by means). A boundary in only one map, or
  no match at all: F1 0.
"""

import numpy as np
from scipy import ndimage

from xrayseg.evaluation.metrics import nanmean_or_nan, ratio
from xrayseg.io.volume import IGNORE_INDEX

# Columns of a boundary count array (n_classes, 4).
COUNT_COLUMNS = ("pred_matched", "pred_total", "true_matched", "true_total")


def boundary_masks(classes, n_classes, valid):
    """(n_classes, H, W) bool: pixels of each class with a valid 4-neighbour of another class."""
    classes = np.asarray(classes)
    edge = np.zeros(classes.shape, dtype=bool)
    # Each pair of 4-neighbours once per direction: (pixel, its lower / right neighbour).
    for first, second in (
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ):
        differs = (classes[first] != classes[second]) & valid[first] & valid[second]
        edge[first] |= differs
        edge[second] |= differs
    return np.stack([edge & (classes == c) for c in range(n_classes)])


def disk(radius):
    """Footprint of the grid offsets within Euclidean distance `radius` of the centre."""
    reach = int(np.floor(radius))
    offsets = np.arange(-reach, reach + 1)
    return offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2


def _matched(source, target, footprint):
    """Number of `source` pixels within the footprint's reach of a `target` pixel."""
    if not source.any() or not target.any():
        return 0
    near_target = ndimage.binary_dilation(target, structure=footprint)
    return int((source & near_target).sum())


def boundary_counts(true, pred, n_classes, tolerance=2.0, ignore=None):
    """int64 array (n_classes, 4) of COUNT_COLUMNS for one slice (2-D label and prediction)."""
    true = np.asarray(true)
    pred = np.asarray(pred)
    if true.shape != pred.shape or true.ndim != 2:
        raise ValueError(f"need two 2-D maps of one shape, got {true.shape} and {pred.shape}")
    valid = true != IGNORE_INDEX
    if ignore is not None:
        valid &= ~np.asarray(ignore, dtype=bool)
    true_edges = boundary_masks(true, n_classes, valid)
    pred_edges = boundary_masks(pred, n_classes, valid)
    footprint = disk(tolerance)
    counts = np.zeros((n_classes, len(COUNT_COLUMNS)), dtype=np.int64)
    for c in range(n_classes):
        counts[c] = (
            _matched(pred_edges[c], true_edges[c], footprint),
            pred_edges[c].sum(),
            _matched(true_edges[c], pred_edges[c], footprint),
            true_edges[c].sum(),
        )
    return counts


def boundary_f1(counts):
    """F1 per class (last-but-one axis) from counts (..., n_classes, 4); NaN without boundaries."""
    counts = np.asarray(counts, dtype=np.float64)
    pred_matched, pred_total, true_matched, true_total = np.moveaxis(counts, -1, 0)
    precision = np.nan_to_num(ratio(pred_matched, pred_total))
    recall = np.nan_to_num(ratio(true_matched, true_total))
    f1 = np.nan_to_num(ratio(2 * precision * recall, precision + recall))
    return np.where(pred_total + true_total > 0, f1, np.nan)


def mean_boundary_f1(counts):
    """Mean boundary F1 over the classes with a boundary, from counts (..., n_classes, 4)."""
    return nanmean_or_nan(boundary_f1(counts))


def flat_boundary_scores(counts, class_names):
    """boundary_f1_<class> per class and mean_boundary_f1 (mean over classes with boundaries)."""
    f1 = boundary_f1(counts)
    row = {f"boundary_f1_{name}": float(v) for name, v in zip(class_names, f1, strict=True)}
    row["mean_boundary_f1"] = float(nanmean_or_nan(f1))
    return row
