import warnings

import numpy as np
import pytest

from xrayseg.evaluation.metrics import (
    accuracy_and_mean_iou,
    confusion_columns,
    confusion_matrix,
    flat_scores,
    nanmean_or_nan,
    ratio,
    scores_from_confusion,
)
from xrayseg.io.volume import IGNORE_INDEX

NAMES = ["pore", "YSZ", "Ni"]


@pytest.fixture(autouse=True)
def no_warnings():
    """Undefined scores must come out NaN quietly, never through a division warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_hand_computed_scores():
    true = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    confusion = confusion_matrix(true, pred, 3)
    assert confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    scores = scores_from_confusion(confusion)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    np.testing.assert_allclose(scores["iou"], [1 / 3, 2 / 3, 1 / 2])
    assert scores["mean_iou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    np.testing.assert_allclose(scores["dice"], [2 / 4, 4 / 5, 2 / 3])
    np.testing.assert_allclose(scores["precision"], [1 / 2, 2 / 3, 1])
    np.testing.assert_allclose(scores["recall"], [1 / 2, 1, 1 / 2])
    np.testing.assert_allclose(scores["true_fraction"], [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(scores["pred_fraction"], [2 / 6, 3 / 6, 1 / 6])


def test_two_dimensional_maps_count_like_flat_ones():
    true = np.array([[0, 0], [1, 1]])
    pred = np.array([[0, 1], [1, 1]])
    assert confusion_matrix(true, pred, 2).tolist() == [[1, 1], [0, 2]]


def test_perfect_prediction_scores_one_everywhere():
    labels = np.random.default_rng(0).integers(0, 3, (10, 10))
    row = flat_scores(confusion_matrix(labels, labels, 3), NAMES)
    for key, value in row.items():
        if key.startswith(("true_fraction", "pred_fraction")):
            continue
        if key == "n_pixels":
            assert value == 100
        else:
            assert value == 1.0, key
    for name in NAMES:
        assert row[f"pred_fraction_{name}"] == row[f"true_fraction_{name}"]


def test_class_absent_from_truth_and_prediction_is_nan_and_skipped_in_the_mean():
    true = np.array([0, 0, 1, 1])
    pred = np.array([0, 1, 1, 1])
    scores = scores_from_confusion(confusion_matrix(true, pred, 3))
    for key in ("iou", "dice", "precision", "recall"):
        assert np.isnan(scores[key][2]), key
    assert scores["true_fraction"][2] == 0 and scores["pred_fraction"][2] == 0
    # Mean over the two defined classes: IoU 1/2 and 2/3.
    assert scores["mean_iou"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert scores["accuracy"] == pytest.approx(3 / 4)


def test_class_predicted_but_absent_from_truth_scores_zero_with_undefined_recall():
    scores = scores_from_confusion(confusion_matrix(np.array([0, 0]), np.array([0, 1]), 2))
    assert scores["iou"][1] == 0 and scores["dice"][1] == 0 and scores["precision"][1] == 0
    assert np.isnan(scores["recall"][1])
    assert scores["mean_iou"] == pytest.approx((1 / 2 + 0) / 2)


def test_class_missed_entirely_scores_zero_with_undefined_precision():
    scores = scores_from_confusion(confusion_matrix(np.array([0, 1]), np.array([0, 0]), 2))
    assert scores["iou"][1] == 0 and scores["recall"][1] == 0
    assert np.isnan(scores["precision"][1])


def test_ignored_pixels_count_for_nothing():
    true = np.array([0, 1, IGNORE_INDEX, 1])
    pred = np.array([0, 1, 0, 0])
    assert confusion_matrix(true, pred, 2).tolist() == [[1, 0], [1, 1]]
    mask = np.array([False, False, False, True])
    assert confusion_matrix(true, pred, 2, ignore=mask).tolist() == [[1, 0], [0, 1]]


def test_an_ignore_mask_of_zeros_and_ones_works_like_a_boolean_one():
    # Masks read from image files hold 0 and 255 or 0 and 1, not booleans.
    true = np.array([0, 1, 1, 1])
    pred = np.array([0, 1, 0, 0])
    for mask in (np.array([0, 0, 1, 255], np.uint8), np.array([0, 0, 1, 1])):
        assert confusion_matrix(true, pred, 2, ignore=mask).tolist() == [[1, 0], [0, 1]]


def test_ratios_broadcast_and_take_plain_lists():
    np.testing.assert_allclose(ratio(1, [2, 4]), [0.5, 0.25])
    np.testing.assert_allclose(ratio([1, 3], [2, 0]), [0.5, np.nan])
    np.testing.assert_allclose(ratio([[2], [4]], [2, 0]), [[1, np.nan], [2, np.nan]])
    assert np.isnan(nanmean_or_nan([np.nan, np.nan]))
    assert nanmean_or_nan([[1, np.nan], [np.nan, np.nan]]).tolist()[0] == 1


def test_scores_of_a_nested_list_are_those_of_the_array():
    confusion = [[5, 1], [2, 7]]
    from_list = scores_from_confusion(confusion)
    from_array = scores_from_confusion(np.array(confusion))
    for key, value in from_array.items():
        np.testing.assert_array_equal(from_list[key], value)
    assert flat_scores(confusion, ["a", "b"]) == flat_scores(np.array(confusion), ["a", "b"])


def test_counts_of_a_narrow_integer_type_score_like_int64_ones():
    # 2 x 40000 overflows uint16: scores must not be computed in the counts' own type.
    confusion = np.array([[40000, 10], [5, 30000]], dtype=np.uint16)
    for key, value in scores_from_confusion(confusion.astype(np.int64)).items():
        np.testing.assert_allclose(scores_from_confusion(confusion)[key], value)


def test_flat_scores_need_one_name_per_class():
    with pytest.raises(ValueError):
        flat_scores(np.eye(3, dtype=int), ["a", "b"])
    with pytest.raises(ValueError):
        flat_scores(np.eye(2, dtype=int), ["a", "b", "c"])


def test_everything_ignored_gives_nan_scores_not_errors():
    true = np.full(4, IGNORE_INDEX)
    row = flat_scores(confusion_matrix(true, np.zeros(4, int), 3), NAMES)
    assert row["n_pixels"] == 0
    assert np.isnan(row["accuracy"]) and np.isnan(row["mean_iou"])
    assert np.isnan(row["true_fraction_pore"])


def test_values_outside_the_classes_are_errors():
    with pytest.raises(ValueError, match=r"^true label values 0\.\.3 outside 0\.\.2$"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match=r"^predicted class values 0\.\.7 outside 0\.\.2$"):
        confusion_matrix(np.array([0, 1]), np.array([0, 7]), 3)
    with pytest.raises(ValueError, match="pixels"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)


def test_pooled_scores_weigh_every_pixel_equally():
    # Slice a: its 1 pixel wrong; slice b: 3 of 3 right.
    a = confusion_matrix(np.array([0]), np.array([1]), 2)
    b = confusion_matrix(np.array([0, 0, 1]), np.array([0, 0, 1]), 2)
    pooled = scores_from_confusion(a + b)
    assert pooled["accuracy"] == pytest.approx(3 / 4)  # not the mean (0 + 1) / 2 of slices


def test_vectorised_scores_match_the_single_ones():
    rng = np.random.default_rng(1)
    stack = rng.integers(0, 20, (5, 3, 3))
    stack[2, 2, :] = stack[2, :, 2] = 0  # one matrix without class 2
    accuracy, mean_iou = accuracy_and_mean_iou(stack)
    for i, confusion in enumerate(stack):
        scores = scores_from_confusion(confusion)
        assert accuracy[i] == pytest.approx(scores["accuracy"])
        assert mean_iou[i] == pytest.approx(scores["mean_iou"])


def test_confusion_columns_name_true_then_predicted():
    confusion = np.array([[5, 1], [2, 7]])
    assert confusion_columns(confusion, ["a", "b"]) == {
        "count_a_as_a": 5,
        "count_a_as_b": 1,
        "count_b_as_a": 2,
        "count_b_as_b": 7,
    }


def test_the_interval_score_functions_score_each_stacked_matrix():
    """accuracy and mean_iou are the interval scores' functions, found by name
    (xrayseg.evaluation.slicescores)."""
    from xrayseg.evaluation.metrics import accuracy, mean_iou

    stack = np.array([[[3, 1], [0, 4]], [[2, 0], [0, 2]]])
    np.testing.assert_allclose(accuracy(stack), [7 / 8, 1.0])
    np.testing.assert_allclose(mean_iou(stack), [(3 / 4 + 4 / 5) / 2, 1.0])
