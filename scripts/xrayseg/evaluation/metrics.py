"""Segmentation metrics from confusion matrices (rows: true class, columns: predicted class).

Defined behaviour, so that no score ever divides by zero:
- A ratio whose denominator is zero is NaN ("undefined"), never 0 or 1: the IoU and Dice of a
  class absent from both truth and prediction, the precision of a class never predicted, the
  recall of a class absent from the truth. A class present in only one of them scores IoU 0.
- Means over classes (mean IoU) skip NaN classes; if every class is NaN the mean is NaN.
- Accuracy and phase fractions of an empty matrix (every pixel ignored) are NaN.
- Pixels under the ignore mask (label IGNORE_INDEX, or an explicit mask) count for nothing: they
  are dropped before counting.
Pooled scores over a split come from the summed confusion matrices of its slices (each pixel
weighs the same), not from averaging per-slice scores.
"""

import numpy as np

from xrayseg.io.volume import IGNORE_INDEX

PER_CLASS_KEYS = ("iou", "dice", "precision", "recall", "true_fraction", "pred_fraction")


def confusion_matrix(true, pred, n_classes, ignore=None):
    """Counts (n_classes, n_classes) int64 of one label map against one prediction.

    Pixels where `ignore` is True or the true label is IGNORE_INDEX are left out. Any other value
    outside 0..n_classes-1 is an error.
    """
    true = np.asarray(true).ravel()
    pred = np.asarray(pred).ravel()
    if true.shape != pred.shape:
        raise ValueError(f"labels have {true.size} pixels but the prediction has {pred.size}")
    keep = true != IGNORE_INDEX
    if ignore is not None:
        keep &= ~np.asarray(ignore, dtype=bool).ravel()
    true, pred = true[keep].astype(np.int64), pred[keep].astype(np.int64)
    for name, values in (("true label", true), ("predicted class", pred)):
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            raise ValueError(
                f"{name} values {values.min()}..{values.max()} outside 0..{n_classes - 1}"
            )
    index = true * n_classes + pred
    return np.bincount(index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def ratio(numerator, denominator):
    """numerator / denominator elementwise, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def nanmean_or_nan(values, axis=-1):
    """Mean over `axis` skipping NaN; NaN (without a warning) where every value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    counts = np.isfinite(values).sum(axis=axis)
    sums = np.where(np.isfinite(values), values, 0).sum(axis=axis)
    return ratio(sums, counts)


def accuracy_and_mean_iou(confusions):
    """(accuracy, mean IoU) arrays for confusion matrices stacked on the leading axes (..., C, C).

    Vectorised so that bootstrap resamples are scored in one pass.
    """
    confusions = np.asarray(confusions, dtype=np.float64)
    hits = np.diagonal(confusions, axis1=-2, axis2=-1)
    union = confusions.sum(axis=-1) + confusions.sum(axis=-2) - hits
    accuracy = ratio(hits.sum(axis=-1), confusions.sum(axis=(-2, -1)))
    return accuracy, nanmean_or_nan(ratio(hits, union))


def accuracy(confusions):
    """Pixel accuracy of confusion matrices stacked on the leading axes (..., C, C)."""
    return accuracy_and_mean_iou(confusions)[0]


def mean_iou(confusions):
    """Mean IoU over the classes of confusion matrices stacked on the leading axes (..., C, C)."""
    return accuracy_and_mean_iou(confusions)[1]


def scores_from_confusion(confusion):
    """Dict of pixel accuracy, mean IoU and per-class IoU / Dice / precision / recall arrays, and
    the true and predicted phase (area) fractions."""
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    true_totals = confusion.sum(axis=1)
    pred_totals = confusion.sum(axis=0)
    total = confusion.sum()
    accuracy, mean_iou = accuracy_and_mean_iou(confusion)
    return {
        "accuracy": float(accuracy),
        "mean_iou": float(mean_iou),
        "iou": ratio(hits, true_totals + pred_totals - hits),
        "dice": ratio(2 * hits, true_totals + pred_totals),
        "precision": ratio(hits, pred_totals),
        "recall": ratio(hits, true_totals),
        "true_fraction": ratio(true_totals, total),
        "pred_fraction": ratio(pred_totals, total),
    }


def flat_scores(confusion, class_names):
    """One flat dict of scores for a table row: accuracy, mean_iou, iou_<class>, dice_<class>, ...,
    true_fraction_<class>, pred_fraction_<class>, and n_pixels (the pixels scored)."""
    scores = scores_from_confusion(confusion)
    row = {"accuracy": scores["accuracy"], "mean_iou": scores["mean_iou"]}
    for key in PER_CLASS_KEYS:
        for name, value in zip(class_names, scores[key], strict=True):
            row[f"{key}_{name}"] = float(value)
    row["n_pixels"] = int(np.asarray(confusion).sum())
    return row


def confusion_columns(confusion, class_names):
    """The confusion counts as flat columns count_<true>_as_<predicted> (for per-slice tables)."""
    return {
        f"count_{true}_as_{pred}": int(confusion[t, p])
        for t, true in enumerate(class_names)
        for p, pred in enumerate(class_names)
    }
