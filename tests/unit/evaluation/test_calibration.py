"""Calibration math against independent computations: brute-force Mann-Whitney, a grid search of
the NLL, ECE by explicit loops, and synthetic cases whose answer is known."""

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from xrayseg.evaluation.calibration import (
    ErrorDetectionTally,
    ReliabilityTally,
    auroc,
    auroc_from_counts,
    expected_calibration_error,
    fit_temperature,
    log_softmax,
    mean_nll,
    top_class_confidence,
)


def brute_force_auroc(scores, positives):
    """Over every (positive, negative) pair: 1 when the positive scores higher, 1/2 on a tie."""
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = [s for s, p in zip(scores, positives, strict=True) if not p]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(5))
def test_auroc_is_the_mann_whitney_statistic_ties_included(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=40).astype(float)  # few values: many ties
    positives = rng.random(40) < 0.3 + 0.1 * scores / 5
    assert auroc(scores, positives) == pytest.approx(brute_force_auroc(scores, positives))


def test_auroc_from_counts_per_value_equals_auroc_on_the_values():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 9, size=300)
    positives = rng.random(300) < scores / 12
    negatives_per_value = np.bincount(scores[~positives], minlength=9)
    positives_per_value = np.bincount(scores[positives], minlength=9)
    assert auroc_from_counts(negatives_per_value, positives_per_value) == pytest.approx(
        auroc(scores, positives)
    )


def test_auroc_extremes_and_an_empty_group():
    assert auroc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert auroc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
    assert auroc([0.5] * 4, [False, True, False, True]) == 0.5
    assert math.isnan(auroc([0.1, 0.2], [False, False]))


def test_one_member_in_a_group_is_enough():
    assert auroc([0.1, 0.9, 0.5], [False, True, False]) == 1.0
    assert auroc([0.1, 0.9, 0.5], [True, False, True]) == 0.0
    # Per score value 0.1, 0.5, 0.9: the same two cases as counts.
    assert auroc_from_counts([1, 1, 0], [0, 0, 1]) == 1.0
    assert auroc_from_counts([0, 0, 1], [1, 1, 0]) == 0.0


def test_an_empty_group_or_tally_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN is the answer, not a division by zero
        assert math.isnan(auroc([0.1, 0.2], [False, False]))
        assert math.isnan(auroc([0.1, 0.2], [True, True]))
        assert math.isnan(auroc_from_counts([0, 0], [3, 1]))
        assert math.isnan(auroc_from_counts([2, 1], [0, 0]))
        assert math.isnan(ErrorDetectionTally().auroc())
        assert math.isnan(ReliabilityTally().ece())


def test_truth_values_given_as_zeros_and_ones_count_as_booleans():
    rng = np.random.default_rng(9)
    scores = rng.random(50).astype(np.float32)
    wrong = rng.random(50) < scores
    assert auroc(scores, wrong.astype(int)) == auroc(scores, wrong)
    as_bool, as_int = ErrorDetectionTally(), ErrorDetectionTally()
    as_bool.add(scores, wrong)
    as_int.add(scores, wrong.astype(np.uint8))
    assert as_int.auroc() == as_bool.auroc() and as_int.pixels == 50


def test_the_error_tally_is_exact_for_the_float16_maps_and_adds_up_slice_by_slice():
    rng = np.random.default_rng(4)
    uncertainty = rng.random((3, 20, 20)).astype(np.float32)
    wrong = rng.random((3, 20, 20)) < uncertainty * 0.5
    uncertainty[0, :2] = np.nan  # undefined pixels are left out
    tally = ErrorDetectionTally()
    for u, w in zip(uncertainty, wrong, strict=True):
        tally.add(u, w)
    defined = np.isfinite(uncertainty)
    stored = uncertainty[defined].astype(np.float16).astype(np.float64)
    assert tally.pixels == defined.sum()
    assert tally.auroc() == pytest.approx(auroc(stored, wrong[defined]), abs=1e-12)


def test_uncertainty_a_rounding_error_outside_zero_to_one_counts_as_zero_or_one():
    wrong = np.array([True, False, True, False])
    outside, inside = ErrorDetectionTally(), ErrorDetectionTally()
    outside.add(np.array([-1e-3, 0.3, 1.01, 0.2], dtype=np.float32), wrong)
    inside.add(np.array([0.0, 0.3, 1.0, 0.2], dtype=np.float32), wrong)
    np.testing.assert_array_equal(outside.wrong, inside.wrong)
    np.testing.assert_array_equal(outside.right, inside.right)


def test_log_softmax_along_either_axis_stays_finite_for_logits_of_any_size():
    logits = np.array([[1000.0, 0.0, -3.0], [0.0, -1000.0, 2.0]])
    expected = logits - logsumexp(logits, axis=1, keepdims=True)
    np.testing.assert_allclose(log_softmax(logits), expected)
    np.testing.assert_allclose(log_softmax(logits.T, axis=0), expected.T)
    scaled = logits / 4 - logsumexp(logits / 4, axis=1, keepdims=True)
    np.testing.assert_allclose(log_softmax(logits, temperature=4), scaled)


def test_mean_nll_is_the_mean_negative_log_probability_of_the_labels():
    # softmax([0, log 3]) = (1/4, 3/4); softmax([log 4, 0]) = (4/5, 1/5).
    logits = np.log([[1.0, 3.0], [4.0, 1.0]])
    labels = [1, 0]
    assert mean_nll(logits, labels) == pytest.approx(-(math.log(3 / 4) + math.log(4 / 5)) / 2)
    assert mean_nll(logits * 2, labels, temperature=2) == pytest.approx(mean_nll(logits, labels))


def test_the_nll_of_float32_logits_is_computed_in_float64():
    # A mean over millions of pixels, compared to 1e-4 by the search, needs the precision.
    logits = np.random.default_rng(11).normal(0, 3, size=(1000, 3)).astype(np.float32)
    labels = np.arange(1000) % 3
    assert log_softmax(logits).dtype == np.float64
    assert mean_nll(logits, labels) == mean_nll(logits.astype(np.float64), labels)


def softmax_rows(logits):
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def calibrated_sample(n, classes, seed):
    """Logits and labels drawn from softmax(logits): a perfectly calibrated model."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, size=(n, classes))
    p = softmax_rows(logits)
    labels = (rng.random((n, 1)) > p.cumsum(axis=1)).sum(axis=1)
    return logits, labels


@pytest.mark.parametrize("sharpen", [0.4, 3.0])
def test_temperature_scaling_lowers_the_nll_and_undoes_a_known_miscalibration(sharpen):
    logits, labels = calibrated_sample(10_000, 3, seed=1)
    distorted = logits * sharpen  # over- (3.0) or underconfident (0.4) by a known factor
    temperature, before, after = fit_temperature(distorted, labels)
    assert after < before
    assert before == pytest.approx(mean_nll(distorted, labels))
    assert after == pytest.approx(mean_nll(distorted, labels, temperature))
    assert temperature == pytest.approx(sharpen, rel=0.05)
    # No temperature on a grid (steps of 1.5 % in T) does better than the search.
    grid = np.exp(np.linspace(math.log(0.05), math.log(20), 401))
    best_on_grid = min(mean_nll(distorted, labels, t) for t in grid)
    assert after <= best_on_grid + 1e-6


def test_temperature_scaling_never_changes_the_predicted_class():
    logits, labels = calibrated_sample(500, 4, seed=2)
    temperature, _, _ = fit_temperature(logits * 2, labels)
    scaled = softmax_rows(logits * 2 / temperature)
    np.testing.assert_array_equal(scaled.argmax(axis=1), logits.argmax(axis=1))


def test_a_minimum_at_a_bound_returns_that_bound():
    # Every pixel right by a wide margin: the sharper the better, down to the smallest T (the
    # NLL reaches 0 in floating point well before it, a plateau the search must not stop on).
    logits = np.array([[4.0, 0.0], [0.0, 4.0], [5.0, 0.0]])
    temperature, before, after = fit_temperature(logits, [0, 1, 0], bounds=(0.05, 20.0))
    assert temperature == pytest.approx(0.05, rel=1e-3) and after < before
    # Every pixel wrong: as soft as allowed.
    temperature, _, _ = fit_temperature(logits, [1, 0, 1], bounds=(0.05, 20.0))
    assert temperature == pytest.approx(20.0, rel=1e-3)


def test_fit_temperature_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="logits"):
        fit_temperature(np.zeros((3, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="logits"):
        fit_temperature(np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="logits"):
        fit_temperature(np.zeros(3), np.zeros(3, dtype=int))


def brute_force_ece(confidence, correct, bins):
    total, n = 0.0, len(confidence)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            i for i, c in enumerate(confidence) if low <= c < high or (b == bins - 1 and c == 1.0)
        ]
        if members:
            accuracy = np.mean([correct[i] for i in members])
            mean_confidence = np.mean([confidence[i] for i in members])
            total += len(members) / n * abs(accuracy - mean_confidence)
    return total


def test_ece_equals_the_per_bin_definition():
    rng = np.random.default_rng(5)
    confidence = rng.uniform(0.3, 1.0, 500)
    confidence[:5] = 1.0
    correct = rng.random(500) < confidence**2
    assert expected_calibration_error(confidence, correct, 10) == pytest.approx(
        brute_force_ece(confidence, correct, 10)
    )


def test_a_perfectly_calibrated_model_has_an_ece_near_zero_and_a_sharpened_one_does_not():
    logits, labels = calibrated_sample(200_000, 3, seed=6)
    ece = expected_calibration_error(*top_class_confidence(softmax_rows(logits), labels, axis=1))
    assert ece < 0.005
    sharpened = softmax_rows(logits * 3)
    assert expected_calibration_error(*top_class_confidence(sharpened, labels, axis=1)) > 0.05


def test_reliability_rows_hold_each_bins_pixels_mean_confidence_and_accuracy():
    rng = np.random.default_rng(10)
    confidence = np.concatenate([[0.0, 0.01, 1.0, 1.0], rng.uniform(0, 0.75, 300)])
    correct = rng.random(confidence.size) < 0.6  # under- and overconfident bins both
    tally = ReliabilityTally(10)
    tally.add(confidence, correct)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty bin is NaN, not a division by zero
        rows = tally.rows()
    assert [row["bin"] for row in rows] == list(range(10))
    for b, row in enumerate(rows):
        assert (row["low"], row["high"]) == pytest.approx((b / 10, (b + 1) / 10))
        members = (b / 10 <= confidence) & (confidence < (b + 1) / 10)
        if b == 9:
            members |= confidence == 1.0
        assert row["pixels"] == members.sum()
        if members.any():
            assert row["confidence"] == pytest.approx(confidence[members].mean())
            assert row["accuracy"] == pytest.approx(correct[members].mean())
        else:
            assert math.isnan(row["confidence"]) and math.isnan(row["accuracy"])
    assert rows[8]["pixels"] == 0 and rows[9]["pixels"] == 2


def test_a_tally_of_the_lowest_bin_alone_still_has_every_bin():
    tally = ReliabilityTally(10)
    tally.add([0.05, 0.02], [True, False])
    assert [row["pixels"] for row in tally.rows()] == [2] + [0] * 9
    one_pixel = ReliabilityTally(10)
    one_pixel.add([0.7], [False])
    assert one_pixel.ece() == pytest.approx(0.7)


def test_top_class_confidence_takes_the_classes_along_the_first_axis_by_default():
    probabilities = np.array([[[0.7, 0.2]], [[0.3, 0.8]]])  # (C=2, H=1, W=2)
    confidence, correct = top_class_confidence(probabilities, [[0, 0]])
    np.testing.assert_allclose(confidence, [[0.7, 0.8]])
    np.testing.assert_array_equal(correct, [[True, False]])


def test_hard_decisions_have_an_ece_equal_to_their_error_rate():
    correct = np.random.default_rng(7).random(1000) < 0.9
    assert expected_calibration_error(np.ones(1000), correct) == pytest.approx(1 - correct.mean())


def test_reliability_tallies_add_up_over_slices():
    rng = np.random.default_rng(8)
    confidence, correct = rng.random(400), rng.random(400) < 0.7
    whole, parts = ReliabilityTally(), ReliabilityTally()
    whole.add(confidence, correct)
    parts.add(confidence[:150], correct[:150])
    parts.add(confidence[150:], correct[150:])
    np.testing.assert_array_equal(whole.pixels, parts.pixels)
    np.testing.assert_allclose(whole.confidence, parts.confidence)
    np.testing.assert_allclose(whole.correct, parts.correct)
    assert parts.ece() == pytest.approx(whole.ece())
    assert sum(row["pixels"] for row in whole.rows()) == 400
