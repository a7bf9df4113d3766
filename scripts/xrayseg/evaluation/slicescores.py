"""Scores of one predicted slice, and pooled scores of a split with bootstrap intervals."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xrayseg.evaluation import boundary, metrics
from xrayseg.evaluation.bootstrap import bootstrap_intervals
from xrayseg.evaluation.boundary import boundary_counts, flat_boundary_scores
from xrayseg.evaluation.metrics import (
    accuracy_and_mean_iou,
    confusion_columns,
    confusion_matrix,
    flat_scores,
)
from xrayseg.io.resultnames import BOUNDARY, CONFUSION, INTERVAL_SCORES
from xrayseg.io.volume import IGNORE_INDEX

# Where the function of an interval score lives, by the counts it is computed from.
SCORE_MODULES = {CONFUSION: metrics, BOUNDARY: boundary}


def score_function(score):
    """The function of an IntervalScore (xrayseg.io.resultnames): pooled counts stacked on the
    leading axes -> one value each."""
    module = SCORE_MODULES[score.counts]
    function = getattr(module, score.name, None)
    if not callable(function):
        raise LookupError(
            f"interval score {score.name}: {module.__name__} has no function {score.name}"
        )
    return function


def interval_scores(counts):
    """{score name: value} of every interval score, from {counts kind: pooled counts}."""
    return {s.name: float(score_function(s)(counts[s.counts])) for s in INTERVAL_SCORES}


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
        **interval_scores({CONFUSION: result.confusion, BOUNDARY: result.boundary}),
        "n_ignored": result.n_ignored,
        **confusion_columns(result.confusion, class_names),
    }


def pooled_scores(results, class_names, n_resamples, confidence, seed, block=1):
    """Scores of a split from its slices' summed counts, with <score>_ci_low / _ci_high bootstrap
    intervals over slices (in the order given; runs of `block` slices) for INTERVAL_SCORES."""
    n_classes = len(class_names)
    per_slice = {
        CONFUSION: np.array([r.confusion for r in results]).reshape(-1, n_classes, n_classes),
        BOUNDARY: np.array([r.boundary for r in results]).reshape(-1, n_classes, 4),
    }
    pooled = {kind: counts.sum(axis=0) for kind, counts in per_slice.items()}
    row = {
        **flat_scores(pooled[CONFUSION], class_names),
        **flat_boundary_scores(pooled[BOUNDARY], class_names),
        **interval_scores(pooled),
        "n_slices": len(results),
        "n_ignored": int(sum(r.n_ignored for r in results)),
    }
    # Every draw uses the same seed, so each resample holds the same slices for every score.
    intervals = {}
    for kind, counts in per_slice.items():
        statistics = {s.name: score_function(s) for s in INTERVAL_SCORES if s.counts == kind}
        if statistics:
            intervals |= bootstrap_intervals(
                counts, statistics, n_resamples, confidence, seed, block
            )
    for score in INTERVAL_SCORES:
        row[f"{score.name}_ci_low"], row[f"{score.name}_ci_high"] = intervals[score.name]
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
