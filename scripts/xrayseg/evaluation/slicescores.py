"""Scores of one predicted slice, and pooled scores of a split with bootstrap intervals."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xrayseg.evaluation.bootstrap import bootstrap_intervals
from xrayseg.evaluation.boundary import boundary_counts, boundary_f1, flat_boundary_scores
from xrayseg.evaluation.metrics import (
    accuracy_and_mean_iou,
    confusion_columns,
    confusion_matrix,
    flat_scores,
    nanmean_or_nan,
)
from xrayseg.io.volume import IGNORE_INDEX

# Scores that get a bootstrap interval (pooled over resampled slices).
INTERVAL_STATISTICS = ("accuracy", "mean_iou", "mean_boundary_f1")


@dataclass
class SliceResult:
    """Additive counts of one scored slice."""

    split: str
    slice: int
    seconds: float
    confusion: np.ndarray  # (C, C) int64
    boundary: np.ndarray  # (C, 4) int64, xrayseg.evaluation.boundary.COUNT_COLUMNS
    n_ignored: int


def score_slice(split, z, labels, predicted, n_classes, tolerance, seconds):
    """SliceResult of one label map (class indices, IGNORE_INDEX where ignored) and prediction."""
    return SliceResult(
        split=split,
        slice=int(z),
        seconds=float(seconds),
        confusion=confusion_matrix(labels, predicted, n_classes),
        boundary=boundary_counts(labels, predicted, n_classes, tolerance),
        n_ignored=int((np.asarray(labels) == IGNORE_INDEX).sum()),
    )


def slice_row(result, class_names):
    """One metrics.csv row: split, slice, every score, then the raw counts.

    No timings: the table depends on the data and the model alone, so two runs of the same
    pipeline (locally and on a cluster, say) write identical files.
    """
    return {
        "split": result.split,
        "slice": result.slice,
        **flat_scores(result.confusion, class_names),
        **flat_boundary_scores(result.boundary, class_names),
        "n_ignored": result.n_ignored,
        **confusion_columns(result.confusion, class_names),
    }


def pooled_scores(results, class_names, n_resamples, confidence, seed, block=1):
    """Scores of a split from its slices' summed counts, with <score>_ci_low / _ci_high bootstrap
    intervals over slices (in the order given; runs of `block` slices) for INTERVAL_STATISTICS."""
    n_classes = len(class_names)
    confusions = np.array([r.confusion for r in results]).reshape(-1, n_classes, n_classes)
    boundaries = np.array([r.boundary for r in results]).reshape(-1, n_classes, 4)
    row = {
        **flat_scores(confusions.sum(axis=0), class_names),
        **flat_boundary_scores(boundaries.sum(axis=0), class_names),
        "n_slices": len(results),
        "n_ignored": int(sum(r.n_ignored for r in results)),
    }
    # Both draws use the same seed, so each resample holds the same slices for every statistic.
    intervals = {
        **bootstrap_intervals(
            confusions,
            {
                "accuracy": lambda pooled: accuracy_and_mean_iou(pooled)[0],
                "mean_iou": lambda pooled: accuracy_and_mean_iou(pooled)[1],
            },
            n_resamples,
            confidence,
            seed,
            block,
        ),
        **bootstrap_intervals(
            boundaries,
            {"mean_boundary_f1": lambda pooled: nanmean_or_nan(boundary_f1(pooled))},
            n_resamples,
            confidence,
            seed,
            block,
        ),
    }
    for name in INTERVAL_STATISTICS:
        row[f"{name}_ci_low"], row[f"{name}_ci_high"] = intervals[name]
    return row


def ranked_slices(results):
    """Slices of `results` from worst to best pixel accuracy (ties by slice index); slices with
    every pixel ignored are left out."""
    scored = []
    for result in results:
        accuracy = accuracy_and_mean_iou(result.confusion)[0]
        if np.isfinite(accuracy):
            scored.append((float(accuracy), result.slice))
    return [z for _, z in sorted(scored)]


def confusion_table(confusions, class_names):
    """Long table split, true, predicted, count of pooled confusion matrices per split."""
    return pd.DataFrame(
        [
            {"split": split, "true": true, "predicted": pred, "count": int(matrix[t, p])}
            for split, matrix in confusions.items()
            for t, true in enumerate(class_names)
            for p, pred in enumerate(class_names)
        ],
        columns=["split", "true", "predicted", "count"],
    )
