"""Scores of one slice (metrics.csv rows) and of a split (summary.json), on hand-made slices."""

import numpy as np
import pytest

from xrayseg.evaluation.slicescores import (
    SliceResult,
    confusion_table,
    pooled_scores,
    ranked_slices,
    score_function,
    score_slice,
    slice_row,
)
from xrayseg.io.resultnames import BOUNDARY, CONFUSION, INTERVAL_SCORES, IntervalScore
from xrayseg.io.volume import IGNORE_INDEX

INTERVAL_NAMES = [score.name for score in INTERVAL_SCORES]

NAMES = ["pore", "solid"]


def slice_with_errors(z, wrong, side=10, split="test", ignored=0):
    """SliceResult of a side x side slice, left half class 0, right half class 1, whose first
    `wrong` pixels (row by row) are predicted as the other class; the last `ignored` pixels of the
    label map are IGNORE_INDEX."""
    labels = np.zeros((side, side), dtype=np.uint8)
    labels[:, side // 2 :] = 1
    predicted = labels.copy().ravel()
    predicted[:wrong] = 1 - predicted[:wrong]
    labels = labels.ravel()
    if ignored:
        labels[-ignored:] = IGNORE_INDEX
    shape = (side, side)
    return score_slice(split, z, labels.reshape(shape), predicted.reshape(shape), 2, 1.0, 0.5)


def test_a_slice_is_scored_from_its_own_counts():
    result = slice_with_errors(np.int64(7), wrong=3, ignored=10)
    assert isinstance(result, SliceResult)
    assert (result.split, result.slice, result.seconds, result.n_ignored) == ("test", 7, 0.5, 10)
    assert type(result.slice) is int
    # Row 0 is 5 pore then 5 solid; its first 3 (pore) are called solid. The last 10 pixels (row
    # 9, 5 pore and 5 solid) are ignored.
    assert result.confusion.tolist() == [[42, 3], [0, 45]]
    # Boundaries: pore's column 4 and solid's column 5 on rows 0..8 (row 9 is ignored), plus
    # where the 3 errors of row 0 meet pore pixels of row 1.
    assert result.boundary.shape == (2, 4)
    assert result.boundary[:, 3].tolist() == [9, 9]


def test_a_metrics_row_holds_the_scores_then_the_counts_and_no_timing():
    result = slice_with_errors(3, wrong=10)
    row = slice_row(result, NAMES)
    keys = list(row)
    assert keys[:2] == ["split", "slice"] and (row["split"], row["slice"]) == ("test", 3)
    assert keys[-5:] == [
        "n_ignored",
        "count_pore_as_pore",
        "count_pore_as_solid",
        "count_solid_as_pore",
        "count_solid_as_solid",
    ]
    assert row["accuracy"] == pytest.approx(0.9)
    assert row["count_pore_as_solid"] == 5 and row["count_solid_as_pore"] == 5
    assert row["iou_pore"] == pytest.approx(45 / 55)
    assert 0 < row["boundary_f1_pore"] < 1 and 0 < row["mean_boundary_f1"] < 1
    assert not any("second" in key or "time" in key for key in keys)


def test_a_split_pools_its_pixels_not_its_slice_scores():
    small = score_slice("test", 0, np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8), 2, 1, 0)
    large = slice_with_errors(1, wrong=0, side=6)
    row = pooled_scores([small, large], NAMES, n_resamples=50, confidence=0.9, seed=0)
    # 36 right of 40 pixels, not the mean (0 + 1) / 2 of the two slices.
    assert row["accuracy"] == pytest.approx(36 / 40)
    assert row["n_slices"] == 2 and row["n_pixels"] == 40
    assert row["n_ignored"] == 0


def test_a_split_adds_up_the_ignored_pixels_and_every_interval_holds_its_point():
    results = [slice_with_errors(z, wrong=z % 7, ignored=z % 3) for z in range(12)]
    row = pooled_scores(results, NAMES, n_resamples=200, confidence=0.9, seed=0)
    assert row["n_ignored"] == sum(z % 3 for z in range(12))
    for name in INTERVAL_NAMES:
        assert row[f"{name}_ci_low"] < row[name] < row[f"{name}_ci_high"], name


def test_the_bootstrap_settings_reach_the_intervals():
    results = [slice_with_errors(z, wrong=(5 * z) % 11) for z in range(12)]

    def interval(name="accuracy", **settings):
        chosen = {"n_resamples": 300, "confidence": 0.9, "seed": 0, "block": 1, **settings}
        row = pooled_scores(results, NAMES, **chosen)
        return row[f"{name}_ci_low"], row[f"{name}_ci_high"]

    for name in INTERVAL_NAMES:
        low, high = interval(name)
        assert interval(name) == (low, high)  # seeded
        assert interval(name, seed=1) != (low, high)
        wide_low, wide_high = interval(name, confidence=0.99)
        assert wide_low < low and high < wide_high
        # One resample: its value is both ends.
        single_low, single_high = interval(name, n_resamples=1)
        assert single_low == single_high
        # One run of all slices: every resample is the data itself, the interval its point.
        row = pooled_scores(results, NAMES, 50, 0.9, 0, block=len(results))
        assert row[f"{name}_ci_low"] == pytest.approx(row[name])
        assert row[f"{name}_ci_high"] == pytest.approx(row[name])


def test_slices_rank_from_worst_to_best_accuracy_ties_by_index_ignored_ones_left_out():
    wrong = {10: 30, 11: 5, 12: 50, 13: 0, 14: 20, 15: 5}
    results = [slice_with_errors(z, errors) for z, errors in wrong.items()]
    results.append(slice_with_errors(16, wrong=0, ignored=100))  # nothing scored
    assert ranked_slices(results) == [12, 10, 14, 11, 15, 13]
    assert ranked_slices(results[::-1]) == [12, 10, 14, 11, 15, 13]
    assert ranked_slices([]) == []


def test_the_boundary_tolerance_reaches_the_boundary_counts():
    labels = np.zeros((6, 6), np.uint8)
    labels[:, 3:] = 1
    shifted = np.zeros((6, 6), np.uint8)
    shifted[:, 4:] = 1  # the boundary one pixel to the right
    exact = score_slice("test", 0, labels, shifted, 2, 0, 0.0).boundary
    within = score_slice("test", 0, labels, shifted, 2, 1, 0.0).boundary
    assert exact[:, 0].tolist() == [0, 0] and within[:, 0].tolist() == [6, 6]


def test_the_default_bootstrap_is_plain():
    results = [slice_with_errors(z, wrong=(3 * z) % 8) for z in range(10)]
    assert pooled_scores(results, NAMES, 100, 0.9, 0) == pooled_scores(
        results, NAMES, 100, 0.9, 0, block=1
    )


def test_slices_rank_by_pixel_accuracy_not_by_mean_iou():
    labels = np.zeros((10, 10), np.uint8)
    labels[9] = 1  # 90 pore, 10 solid
    all_pore = score_slice("test", 1, labels, np.zeros_like(labels), 2, 1.0, 0)  # 0.90, IoU 0.45
    balanced = slice_with_errors(2, wrong=15)  # accuracy 0.85, mean IoU about 0.74
    assert ranked_slices([all_pore, balanced]) == [2, 1]


def test_every_interval_score_has_a_function_that_scores_stacked_counts():
    rng = np.random.default_rng(0)
    counts = {
        CONFUSION: rng.integers(1, 50, (7, 3, 3)),
        BOUNDARY: rng.integers(1, 50, (7, 3, 4)),
    }
    for score in INTERVAL_SCORES:
        stacked = counts[score.counts]
        values = score_function(score)(stacked)
        assert np.shape(values) == (7,), score.name  # one value per stacked resample
        assert values[2] == score_function(score)(stacked[2]), score.name


def test_an_interval_score_without_its_function_is_an_error_naming_it():
    with pytest.raises(LookupError, match="no_such_score: xrayseg.evaluation.metrics has no"):
        score_function(IntervalScore("no_such_score", "no such score", CONFUSION))


def test_the_confusion_table_has_a_row_per_split_true_and_predicted_class():
    confusions = {"val": np.array([[5, 1], [2, 7]]), "test": np.array([[3, 0], [0, 4]])}
    table = confusion_table(confusions, ["pore", "solid"])
    assert list(table.columns) == ["split", "true", "predicted", "count"]
    assert table.values.tolist() == [
        ["val", "pore", "pore", 5],
        ["val", "pore", "solid", 1],
        ["val", "solid", "pore", 2],
        ["val", "solid", "solid", 7],
        ["test", "pore", "pore", 3],
        ["test", "pore", "solid", 0],
        ["test", "solid", "pore", 0],
        ["test", "solid", "solid", 4],
    ]
    assert confusion_table({}, ["pore", "solid"]).columns.tolist() == table.columns.tolist()
