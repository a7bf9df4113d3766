"""Segmentation metrics from a confusion matrix.

Conventions: a class absent from both truth and prediction has IoU, Dice, precision and recall NaN
(undefined, not 0 or 1), and means over classes skip NaN. Pixels under the ignore mask count for
nothing.
"""

import numpy as np


def confusion_matrix(true, pred, n_classes, ignore=None):
    """Counts (n_classes, n_classes): rows are true classes, columns predicted classes."""
    true = np.asarray(true).ravel()
    pred = np.asarray(pred).ravel()
    if ignore is not None:
        keep = ~np.asarray(ignore, dtype=bool).ravel()
        true, pred = true[keep], pred[keep]
    index = true.astype(np.int64) * n_classes + pred.astype(np.int64)
    return np.bincount(index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _ratio(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def scores_from_confusion(confusion):
    """Dict of pixel accuracy, mean IoU and per-class IoU / Dice / precision / recall arrays."""
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    true_totals = confusion.sum(axis=1)
    pred_totals = confusion.sum(axis=0)
    union = true_totals + pred_totals - hits
    iou = _ratio(hits, union)
    total = confusion.sum()
    return {
        "accuracy": float(hits.sum() / total) if total else float("nan"),
        "mean_iou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
        "iou": iou,
        "dice": _ratio(2 * hits, true_totals + pred_totals),
        "precision": _ratio(hits, pred_totals),
        "recall": _ratio(hits, true_totals),
        "true_fraction": true_totals / total if total else np.full(len(hits), np.nan),
        "pred_fraction": pred_totals / total if total else np.full(len(hits), np.nan),
    }


def flat_scores(confusion, class_names):
    """One flat dict of scores for a table row: accuracy, mean_iou, iou_<class>, ..."""
    scores = scores_from_confusion(confusion)
    row = {"accuracy": scores["accuracy"], "mean_iou": scores["mean_iou"]}
    for key in ("iou", "dice", "precision", "recall", "true_fraction", "pred_fraction"):
        for name, value in zip(class_names, scores[key], strict=True):
            row[f"{key}_{name}"] = float(value)
    return row
