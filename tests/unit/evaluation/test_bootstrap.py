import numpy as np
import pytest

from xrayseg.evaluation.bootstrap import bootstrap_intervals, resample_weights
from xrayseg.evaluation.metrics import accuracy_and_mean_iou, scores_from_confusion

STATISTICS = {
    "accuracy": lambda pooled: accuracy_and_mean_iou(pooled)[0],
    "mean_iou": lambda pooled: accuracy_and_mean_iou(pooled)[1],
}


def noisy_slices(n_slices, seed):
    """Per-slice confusion matrices of a classifier whose accuracy varies from slice to slice."""
    rng = np.random.default_rng(seed)
    confusions = []
    for _ in range(n_slices):
        accuracy = rng.uniform(0.8, 0.98)
        per_class = rng.integers(300, 700, 3)
        right = np.round(per_class * accuracy).astype(int)
        matrix = np.diag(right)
        for c in range(3):
            matrix[c, (c + 1) % 3] = per_class[c] - right[c]
        confusions.append(matrix)
    return np.array(confusions)


def test_each_resample_draws_as_many_items_as_there_are():
    weights = resample_weights(7, 50, seed=0)
    assert weights.shape == (50, 7)
    assert (weights.sum(axis=1) == 7).all()
    assert (weights >= 0).all()


def test_interval_contains_the_pooled_point_estimate():
    confusions = noisy_slices(20, seed=0)
    point = scores_from_confusion(confusions.sum(axis=0))
    intervals = bootstrap_intervals(confusions, STATISTICS, 1000, 0.95, seed=0)
    for name in STATISTICS:
        low, high = intervals[name]
        assert low < point[name] < high, name


def test_interval_narrows_with_more_slices():
    few = bootstrap_intervals(noisy_slices(8, seed=1), STATISTICS, 1000, 0.95, seed=0)
    many = bootstrap_intervals(noisy_slices(128, seed=1), STATISTICS, 1000, 0.95, seed=0)
    for name in STATISTICS:
        # Width shrinks like 1/sqrt(n): 16 times the slices, about a quarter of the width.
        assert many[name][1] - many[name][0] < 0.5 * (few[name][1] - few[name][0]), name


def test_higher_confidence_gives_a_wider_interval():
    confusions = noisy_slices(20, seed=2)
    narrow = bootstrap_intervals(confusions, STATISTICS, 1000, 0.5, seed=0)["accuracy"]
    wide = bootstrap_intervals(confusions, STATISTICS, 1000, 0.99, seed=0)["accuracy"]
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


def test_intervals_are_seeded():
    confusions = noisy_slices(15, seed=3)
    first = bootstrap_intervals(confusions, STATISTICS, 200, 0.95, seed=5)
    again = bootstrap_intervals(confusions, STATISTICS, 200, 0.95, seed=5)
    other = bootstrap_intervals(confusions, STATISTICS, 200, 0.95, seed=6)
    assert first == again
    assert first != other


def test_identical_slices_give_a_zero_width_interval_at_the_point():
    confusions = np.repeat(noisy_slices(1, seed=4), 10, axis=0)
    point = scores_from_confusion(confusions[0])["accuracy"]
    low, high = bootstrap_intervals(confusions, STATISTICS, 100, 0.95, seed=0)["accuracy"]
    assert low == pytest.approx(point) and high == pytest.approx(point)


def test_no_slices_give_nan():
    low, high = bootstrap_intervals(np.zeros((0, 3, 3)), STATISTICS, 100, 0.95, seed=0)["mean_iou"]
    assert np.isnan(low) and np.isnan(high)


@pytest.mark.parametrize("confidence", [95, 1, 1.5, 0, -0.5])
def test_confidence_must_be_a_fraction(confidence):
    with pytest.raises(ValueError, match=rf"confidence must be in \(0, 1\), got {confidence}"):
        bootstrap_intervals(noisy_slices(3, 0), STATISTICS, 10, confidence, seed=0)


def test_the_interval_is_the_percentile_interval_of_the_resampled_scores():
    confusions = noisy_slices(15, seed=8)
    for confidence in (0.95, 0.6):
        low, high = bootstrap_intervals(confusions, STATISTICS, 300, confidence, seed=4)["accuracy"]
        # Each resample's slices pooled and scored like the point estimate, one at a time.
        weights = resample_weights(15, 300, seed=4)
        values = [
            scores_from_confusion(np.tensordot(w, confusions, axes=1))["accuracy"] for w in weights
        ]
        tail = 100 * (1 - confidence) / 2
        assert (low, high) == pytest.approx(tuple(np.percentile(values, [tail, 100 - tail])))


def test_defaults_are_a_seeded_95_percent_plain_bootstrap_of_2000_resamples():
    confusions = noisy_slices(9, seed=9)
    assert bootstrap_intervals(confusions, STATISTICS) == bootstrap_intervals(
        confusions, STATISTICS, 2000, 0.95, 0, 1
    )
    np.testing.assert_array_equal(resample_weights(9, 30, 2), resample_weights(9, 30, 2, block=1))


def test_a_statistic_undefined_in_every_resample_has_no_interval_and_one_resample_has_a_point():
    confusions = noisy_slices(5, seed=10)
    undefined = {"nothing": lambda pooled: np.full(len(pooled), np.nan)}
    low, high = bootstrap_intervals(confusions, undefined, 20, 0.9, seed=0)["nothing"]
    assert np.isnan(low) and np.isnan(high)
    low, high = bootstrap_intervals(confusions, STATISTICS, 1, 0.9, seed=0)["accuracy"]
    assert np.isfinite(low) and low == high


def test_block_draws_are_runs_of_consecutive_items():
    weights = resample_weights(10, 200, seed=0, block=4)
    assert (weights.sum(axis=1) == 10).all()
    whole = resample_weights(6, 20, seed=0, block=6)
    assert (whole == 1).all()  # one run of every item: each resample is the data itself


def test_blocks_widen_the_interval_of_correlated_slices():
    # Accuracy drifting smoothly along the stack, as over neighbouring tomogram slices.
    n_slices = 40
    accuracy = 0.9 + 0.05 * np.sin(np.linspace(0, 2 * np.pi, n_slices))
    confusions = np.zeros((n_slices, 2, 2))
    confusions[:, 0, 0] = np.round(1000 * accuracy)
    confusions[:, 0, 1] = 1000 - confusions[:, 0, 0]
    confusions[:, 1, 1] = 1000
    plain = bootstrap_intervals(confusions, STATISTICS, 1000, 0.95, seed=0)["accuracy"]
    blocked = bootstrap_intervals(confusions, STATISTICS, 1000, 0.95, seed=0, block=8)["accuracy"]
    assert blocked[1] - blocked[0] > 1.3 * (plain[1] - plain[0])


def slices_of_known_accuracy(n_slices, rng, pixels=1000):
    """Per-slice 2 x 2 confusions whose pooled accuracy has the known expectation 0.89: each
    slice's accuracy is drawn uniformly from [0.8, 0.98], its right pixels binomially."""
    right = rng.binomial(pixels, rng.uniform(0.8, 0.98, n_slices))
    confusions = np.zeros((n_slices, 2, 2))
    confusions[:, 0, 0] = right
    confusions[:, 0, 1] = pixels - right
    return confusions


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_intervals_contain_the_truth_as_often_as_their_level_says(confidence):
    # Coverage, measured: of many independent data sets, about `confidence` of the intervals hold
    # the true accuracy. (A percentile bootstrap of a mean of 40 items covers a little less than
    # its level, about 1 point; 600 data sets measure coverage to about +-1 point.)
    rng = np.random.default_rng(11)
    truth = 0.89
    hits = 0
    for trial in range(600):
        confusions = slices_of_known_accuracy(40, rng)
        low, high = bootstrap_intervals(confusions, STATISTICS, 400, confidence, seed=trial)[
            "accuracy"
        ]
        hits += low <= truth <= high
    assert confidence - 0.04 <= hits / 600 <= confidence + 0.015


def expected_draws(n_items, block):
    """How often each item is drawn per resample, on average, by enumerating every run start:
    n_items // block whole runs, then one run cut short after n_items % block items."""
    starts = range(n_items - block + 1)  # every start whose run fits, the last one included
    expected = np.zeros(n_items)
    whole, rest = divmod(n_items, block)
    for start in starts:
        expected[start : start + block] += whole / len(starts)
        expected[start : start + rest] += 1 / len(starts)
    return expected


@pytest.mark.parametrize("n_items,block", [(6, 3), (5, 2), (7, 7), (5, 1)])
def test_block_runs_start_at_every_possible_slice_equally_often(n_items, block):
    weights = resample_weights(n_items, 20000, seed=1, block=block)
    np.testing.assert_allclose(weights.mean(axis=0), expected_draws(n_items, block), atol=0.03)
    # The last slice can only be reached by a run that starts as late as possible.
    assert (weights[:, -1] > 0).mean() > 0.1
