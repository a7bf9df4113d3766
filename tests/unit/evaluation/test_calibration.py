"""Calibration math against independent computations: brute-force Mann-Whitney, a grid search of
the NLL, ECE by explicit loops, and synthetic cases whose answer is known."""

import itertools
import math

import numpy as np
import pytest

from xrayseg.evaluation.calibration import (
    ErrorDetectionTally,
    ReliabilityTally,
    auroc,
    auroc_from_counts,
    expected_calibration_error,
    fit_temperature,
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


def test_fit_temperature_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="logits"):
        fit_temperature(np.zeros((3, 2)), np.zeros(4, dtype=int))


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
