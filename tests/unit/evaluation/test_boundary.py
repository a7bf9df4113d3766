import warnings

import numpy as np
import pytest

from xrayseg.evaluation.boundary import boundary_counts, boundary_f1, disk, flat_boundary_scores
from xrayseg.io.volume import IGNORE_INDEX


def halves(split_column, size=8):
    """Class 0 left of `split_column`, class 1 from it on."""
    image = np.zeros((size, size), dtype=np.uint8)
    image[:, split_column:] = 1
    return image


def square(first, last, size=10):
    """Class 1 on rows and columns first..last, class 0 elsewhere."""
    image = np.zeros((size, size), dtype=np.uint8)
    image[first : last + 1, first : last + 1] = 1
    return image


def test_disk_footprints():
    assert disk(0).tolist() == [[True]]
    assert disk(1).sum() == 5
    assert disk(1.5).sum() == 9
    assert disk(2).sum() == 13


def test_identical_maps_score_one():
    counts = boundary_counts(halves(4), halves(4), 2, tolerance=0)
    # Class 0's boundary is column 3, class 1's column 4: 8 pixels each, all matched.
    assert counts.tolist() == [[8, 8, 8, 8], [8, 8, 8, 8]]
    np.testing.assert_allclose(boundary_f1(counts), [1, 1])


def test_a_boundary_shifted_by_one_pixel_matches_only_within_the_tolerance():
    true, pred = halves(4), halves(5)
    np.testing.assert_allclose(boundary_f1(boundary_counts(true, pred, 2, tolerance=1)), [1, 1])
    np.testing.assert_allclose(boundary_f1(boundary_counts(true, pred, 2, tolerance=0)), [0, 0])


def test_a_boundary_three_pixels_off():
    true, pred = halves(2), halves(5)
    np.testing.assert_allclose(boundary_f1(boundary_counts(true, pred, 2, tolerance=2)), [0, 0])
    np.testing.assert_allclose(boundary_f1(boundary_counts(true, pred, 2, tolerance=3)), [1, 1])


def test_a_grown_square_hand_counted():
    # True square rows/cols 3..6: its ring has 12 pixels. Predicted square 2..7: ring of 20.
    # Within 1 px, every true ring pixel has a predicted one next to it; the 4 predicted corners
    # are sqrt(2) from the nearest true ring pixel, so 16 of 20 match.
    counts = boundary_counts(square(3, 6), square(2, 7), 2, tolerance=1)
    assert counts[1].tolist() == [16, 20, 12, 12]
    precision, recall = 16 / 20, 12 / 12
    expected = 2 * precision * recall / (precision + recall)
    assert boundary_f1(counts)[1] == pytest.approx(expected)
    # Class 0's boundary: the 16 pixels 4-adjacent to the true square, 24 around the predicted.
    assert counts[0, 1] == 24 and counts[0, 3] == 16
    # At 1.5 px the corners match too.
    assert boundary_f1(boundary_counts(square(3, 6), square(2, 7), 2, tolerance=1.5))[1] == 1


def test_a_missed_phase_scores_zero_and_an_absent_one_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = boundary_counts(square(3, 6), np.zeros((10, 10), np.uint8), 3, tolerance=2)
        f1 = boundary_f1(counts)
    assert counts[1].tolist() == [0, 0, 0, 12]
    assert f1[0] == 0 and f1[1] == 0
    assert np.isnan(f1[2])
    row = flat_boundary_scores(counts, ["a", "b", "c"])
    assert row["mean_boundary_f1"] == 0 and np.isnan(row["boundary_f1_c"])


def test_image_edges_and_uniform_maps_have_no_boundary():
    uniform = np.ones((6, 6), np.uint8)
    counts = boundary_counts(uniform, uniform, 2)
    assert counts.sum() == 0
    assert np.isnan(boundary_f1(counts)).all()
    assert np.isnan(flat_boundary_scores(counts, ["a", "b"])["mean_boundary_f1"])


def test_ignored_pixels_make_no_boundaries():
    true = np.zeros((10, 10), np.uint8)
    true[3:7, 3:7] = IGNORE_INDEX
    pred = square(3, 6)  # predicts a phase exactly where the labels say "ignore"
    assert boundary_counts(true, pred, 2).sum() == 0
    mask = np.zeros((8, 8), bool)
    mask[:, 4:] = True  # an explicit mask over class 1 hides the boundary as well
    assert boundary_counts(halves(4), halves(4), 2, ignore=mask).sum() == 0


def test_counts_pool_over_slices():
    one = boundary_counts(halves(4), halves(5), 2, tolerance=0)
    two = boundary_counts(halves(4), halves(4), 2, tolerance=0)
    # Pooled: 8 of 16 predicted and 8 of 16 true boundary pixels match per class -> F1 1/2.
    np.testing.assert_allclose(boundary_f1(one + two), [0.5, 0.5])


def test_the_default_tolerance_is_two_pixels():
    np.testing.assert_allclose(boundary_f1(boundary_counts(halves(2), halves(4), 2)), [1, 1])
    np.testing.assert_allclose(boundary_f1(boundary_counts(halves(2), halves(5), 2)), [0, 0])


def test_maps_that_are_not_two_2d_slices_of_one_shape_are_refused():
    message = r"need two 2-D maps of one shape, got \(2, 8, 8\) and \(2, 8, 8\)"
    with pytest.raises(ValueError, match=message):
        boundary_counts(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)), 2)
    with pytest.raises(ValueError, match=r"got \(8, 8\) and \(8, 7\)"):
        boundary_counts(halves(4), halves(4)[:, :7], 2)


def test_an_ignore_mask_adds_to_the_ignored_labels_and_may_hold_zeros_and_ones():
    true = halves(4, size=10)
    true[:, 8:] = IGNORE_INDEX  # columns 8, 9 ignored by label
    pred = halves(4, size=10)
    pred[:, 7:] = 0  # a boundary the labels do not have, at column 6 / 7
    mask = np.zeros((10, 10), np.uint8)
    mask[:3] = 1  # and the top three rows ignored by the mask
    counts = boundary_counts(true, pred, 2, tolerance=0, ignore=mask)
    assert counts.dtype == np.int64
    # Rows 3..9, columns 0..7 count. True boundaries: columns 3 | 4 only (column 7 meets the
    # ignored column 8, no neighbour). Predicted: 3 | 4 and 6 | 7, half of them matched.
    assert counts[1].tolist() == [7, 14, 7, 7]
    assert counts[0].tolist() == [7, 14, 7, 7]


def test_f1_of_stacked_counts_is_that_of_each_stack_entry():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 20, (6, 3, 4))
    stack[..., 0] = np.minimum(stack[..., 0], stack[..., 1])  # matched <= total
    stack[..., 2] = np.minimum(stack[..., 2], stack[..., 3])
    stacked = boundary_f1(stack)
    assert stacked.shape == (6, 3)
    for i, counts in enumerate(stack):
        np.testing.assert_allclose(stacked[i], boundary_f1(counts))


def test_a_single_unmatched_boundary_pixel_scores_zero_not_nan():
    np.testing.assert_allclose(boundary_f1(np.array([[0, 1, 0, 0], [0, 0, 0, 1]])), [0, 0])


def test_boundary_scores_need_one_name_per_class():
    counts = boundary_counts(halves(4), halves(4), 2)
    with pytest.raises(ValueError):
        flat_boundary_scores(counts, ["a"])
    with pytest.raises(ValueError):
        flat_boundary_scores(counts, ["a", "b", "c"])


def test_the_interval_score_function_averages_the_classes_with_a_boundary():
    """mean_boundary_f1 is the interval score's function, found by name
    (xrayseg.evaluation.slicescores)."""
    from xrayseg.evaluation.boundary import mean_boundary_f1

    # Class 0: F1 1; class 1: precision 1/2, recall 1, F1 2/3; class 2: no boundary.
    counts = np.array([[4, 4, 4, 4], [2, 4, 2, 2], [0, 0, 0, 0]])
    assert mean_boundary_f1(counts) == pytest.approx((1 + 2 / 3) / 2)
