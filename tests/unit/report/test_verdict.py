"""The verdict's one sentence: which model, how sure, and how the microstructure ranking relates;
and the digits of the differences it prints."""

import math
import re

import pandas as pd
import pytest

from xrayseg.report.page import decimals_to_tell_apart, difference_points, signed_points
from xrayseg.report.verdict import details, headline, tied_with_best, verdict_lines

NAN = math.nan


def comparison(*leads, n_slices=10):
    """A comparison table (best first) whose best model 'a' leads each other model ('b', 'c',
    ...) in mean IoU by the given (difference, low, high)."""
    rows = [
        {
            "model": "a",
            "rank": 1,
            "test_slices": float(n_slices),
            "test_mean_iou": 0.98321,
            "test_mean_iou_ci_low": 0.9821,
            "test_mean_iou_ci_high": 0.9843,
            "test_accuracy": 0.99154,
            "test_accuracy_ci_low": 0.9911,
            "test_accuracy_ci_high": 0.9922,
            "diff_mean_iou": NAN,
            "diff_mean_iou_ci_low": NAN,
            "diff_mean_iou_ci_high": NAN,
        }
    ]
    for rank, (name, (value, low, high)) in enumerate(zip("bcdef", leads, strict=False), 2):
        rows.append(
            {
                "model": name,
                "rank": rank,
                "test_slices": float(n_slices),
                "diff_mean_iou": value,
                "diff_mean_iou_ci_low": low,
                "diff_mean_iou_ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def ranking(*errors):
    """A microstructure ranking, closest first: (model, microstructure_error)."""
    return pd.DataFrame(
        [
            {"model": name, "microstructure_rank": rank, "microstructure_error": error}
            for rank, (name, error) in enumerate(errors, 1)
        ]
    )


CLEAR = (0.0031, 0.0024, 0.0041)
TIED = (0.00004, -0.00003, 0.0001)
FAR = (0.06, 0.059, 0.062)


def test_a_clear_leader_is_named_with_its_smallest_lead():
    sentence = headline(comparison(CLEAR, FAR), 0.95)
    assert sentence == (
        "a is the best model: on the 10 test slices it is clearly ahead of every other model "
        "in mean IoU (its smallest lead, over b, is +0.31 [+0.24, +0.41] percentage points, "
        "paired 95% interval)."
    )
    assert tied_with_best(comparison(CLEAR, FAR)) == []


def test_a_leader_whose_interval_includes_zero_is_tied_and_the_rest_are_named():
    table = comparison(TIED, FAR)
    assert tied_with_best(table) == ["b"]
    sentence = headline(table, 0.9)
    assert sentence.startswith("a and b are tied for the best mean IoU on the 10 test slices")
    # Enough digits that the interval's ends do not print as +0.000 [-0.000, +0.001].
    assert sentence.endswith(
        "(a's lead over b +0.004 [-0.003, +0.010] percentage points: a paired 90% interval "
        "that includes 0), clearly ahead of c."
    )
    assert "best model" not in sentence


def test_several_ties_and_undefined_intervals_count_as_tied():
    table = comparison(TIED, (0.001, NAN, NAN), FAR)
    assert tied_with_best(table) == ["b", "c"]
    sentence = headline(table, 0.95)
    assert sentence.startswith("a, b and c are tied")
    assert (
        "over b +0.004 [-0.003, +0.010] percentage points, over c +0.10 percentage points: "
        "paired 95% intervals that include 0" in sentence
    )
    assert sentence.endswith("include 0), clearly ahead of d.")


def test_agreeing_rankings_say_so_in_the_same_sentence():
    sentence = headline(comparison(CLEAR), 0.95, ranking(("a", 0.1), ("b", 0.2)))
    assert re.sub(r"\d\.\d", "", sentence).count(".") == 1  # one sentence
    assert sentence.endswith(
        "; the microstructure ranking agrees: a also comes closest on the microstructure."
    )


def test_differing_rankings_name_the_model_closest_on_the_microstructure():
    sentence = headline(comparison(CLEAR, FAR), 0.95, ranking(("c", 0.151), ("a", 0.35)))
    assert sentence.endswith(
        "; the rankings differ: on the microstructure c (rank 3 by mean IoU) comes closest "
        "(15.1 % microstructure error against a's 35.0 %)."
    )
    # Among tied models the microstructure picks one of them.
    sentence = headline(comparison(TIED, FAR), 0.95, ranking(("b", 0.151), ("a", 0.35)))
    assert "the rankings differ: of the tied models, b comes closest on the microstructure" in (
        sentence
    )


def test_an_unmeasured_microstructure_adds_nothing_and_one_model_stands_alone():
    assert headline(comparison(CLEAR), 0.95, ranking(("a", NAN))) == headline(
        comparison(CLEAR), 0.95
    )
    assert headline(comparison(), 0.95).startswith("a is the only model")
    assert len(verdict_lines(comparison(), 0.95)) == 2  # the sentence and the scores


def test_the_details_give_the_scores_every_lead_and_every_microstructure_error():
    lines = details(comparison(CLEAR, FAR), 0.95, ranking(("b", 0.151), ("a", 0.35)))
    assert lines[0] == (
        "a: test mean IoU 0.983 [0.982, 0.984], pixel accuracy 0.992 [0.991, 0.992] (95% "
        "bootstrap intervals over the 10 test slices); its lead in mean IoU, paired: over b "
        "+0.31 [+0.24, +0.41] pp, over c +6.00 [+5.90, +6.20] pp."
    )
    assert lines[1].endswith(": b 15.1 %, a 35.0 %.")


@pytest.mark.parametrize(
    ("values", "digits"),
    [
        ((0.31, 0.24, 0.41), 2),
        ((0.004, -0.003, 0.01), 3),  # 2 decimals would print +0.00 [-0.00, +0.01]
        ((0.0, 0.0, 0.0), 2),  # identical predictions: exactly 0 is fine
        ((0.5, 0.50001, 0.6), 5),  # distinct ends stay distinct
        ((1e-9, 0.0, 2e-9), 5),  # at most 5
    ],
)
def test_differences_get_the_decimals_that_tell_their_values_apart(values, digits):
    assert decimals_to_tell_apart(values) == digits


def test_differences_print_in_percentage_points():
    assert difference_points(0.0031, 0.0024, 0.0041) == "+0.31 [+0.24, +0.41] pp"
    assert difference_points(0.01, NAN, NAN) == "+1.00 pp"
    assert signed_points(-0.0000421) == "-0.004" and signed_points(NAN) == "–"
