"""Which test slices get a panel: the worst, the median and the best by pixel accuracy."""

import numpy as np

from xrayseg.evaluation.panels import pick_panel_slices
from xrayseg.evaluation.slicescores import ranked_slices, score_slice


def slice_of_accuracy(z, right, pixels=100):
    """SliceResult of slice z with `right` of `pixels` pixels predicted right."""
    labels = np.zeros(pixels, dtype=np.uint8)
    predicted = (np.arange(pixels) >= right).astype(np.uint8)
    return score_slice("test", z, labels.reshape(10, -1), predicted.reshape(10, -1), 2, 1.0, 0)


def test_panels_show_the_worst_median_and_best_slice():
    accuracy = {20: 70, 21: 95, 22: 50, 23: 100, 24: 80}
    results = [slice_of_accuracy(z, right) for z, right in accuracy.items()]
    assert pick_panel_slices(ranked_slices(results)) == {"worst": 22, "median": 24, "best": 23}


def test_the_median_of_an_even_count_is_the_upper_middle_slice():
    assert pick_panel_slices([5, 3, 8, 1]) == {"worst": 5, "median": 8, "best": 1}
    assert pick_panel_slices([4, 9]) == {"worst": 4, "median": 9, "best": 9}


def test_one_slice_is_worst_median_and_best_and_none_give_no_panels():
    assert pick_panel_slices([7]) == {"worst": 7, "median": 7, "best": 7}
    assert pick_panel_slices([]) == {}
