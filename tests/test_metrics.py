import numpy as np
import pytest

from xrayseg.metrics import confusion_matrix, scores_from_confusion


def test_hand_computed_scores():
    true = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    confusion = confusion_matrix(true, pred, 3)
    assert confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    scores = scores_from_confusion(confusion)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    np.testing.assert_allclose(scores["iou"], [1 / 3, 2 / 3, 1 / 2])
    assert scores["mean_iou"] == pytest.approx(np.mean([1 / 3, 2 / 3, 1 / 2]))


def test_perfect_prediction_scores_one():
    labels = np.random.default_rng(0).integers(0, 3, (10, 10))
    scores = scores_from_confusion(confusion_matrix(labels, labels, 3))
    assert scores["accuracy"] == 1.0 and scores["mean_iou"] == 1.0


def test_absent_class_is_nan_and_skipped_in_the_mean():
    true = np.array([0, 0, 1])
    scores = scores_from_confusion(confusion_matrix(true, true, 3))
    assert np.isnan(scores["iou"][2])
    assert scores["mean_iou"] == 1.0


def test_ignored_pixels_count_for_nothing():
    true = np.array([0, 1, 1])
    pred = np.array([0, 1, 0])
    ignore = np.array([False, False, True])
    assert confusion_matrix(true, pred, 2, ignore).sum() == 2
