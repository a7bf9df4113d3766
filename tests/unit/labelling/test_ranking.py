"""The suggestion ranking on constructed data: most uncertain first, spread along each stack."""

import numpy as np
import pandas as pd

from xrayseg.labelling.ranking import RANKING_COLUMNS, spread_ranking


def candidates(scores, source="stack"):
    return pd.DataFrame(
        {"source": source, "slice": list(scores), "mean_uncertainty": list(scores.values())}
    )


def test_a_cluster_of_uncertain_neighbours_gives_one_suggestion_then_the_next_hard_spot():
    # A bad spot around slice 20 (five very uncertain neighbours) and a milder one at 60.
    scores = {z: 0.1 for z in range(0, 100, 2)}
    scores.update({18: 0.8, 19: 0.85, 20: 0.9, 21: 0.86, 22: 0.82, 60: 0.5, 90: 0.3})
    ranked = spread_ranking(candidates(scores), min_distance=10)
    suggested = ranked.loc[ranked["suggested"], "slice"].tolist()
    assert suggested[:3] == [20, 60, 90]
    # Every pair of suggestions is at least min_distance apart ...
    assert min(np.diff(sorted(suggested))) >= 10
    # ... and every passed-over slice lies within min_distance of the suggestion it names.
    passed = ranked.loc[~ranked["suggested"]]
    assert ((passed["slice"] - passed["near"]).abs() < 10).all()
    assert set(passed["slice"]) >= {18, 19, 21, 22}


def test_suggestions_come_first_in_uncertainty_order_and_ranks_count_from_one():
    rng = np.random.default_rng(0)
    scores = dict(zip(range(0, 300, 3), rng.random(100), strict=True))
    ranked = spread_ranking(candidates(scores), min_distance=12)
    assert ranked["rank"].tolist() == list(range(1, 101))
    flags = ranked["suggested"].tolist()
    assert flags == sorted(flags, reverse=True), "suggested slices come before the others"
    picked = ranked.loc[ranked["suggested"], "mean_uncertainty"].to_numpy()
    assert np.all(np.diff(picked) <= 0)
    rest = ranked.loc[~ranked["suggested"], "mean_uncertainty"].to_numpy()
    assert np.all(np.diff(rest) <= 0)
    # The first suggestion is the most uncertain slice of all.
    assert ranked.iloc[0]["slice"] == max(scores, key=scores.get)


def test_min_distance_one_suggests_every_slice_in_uncertainty_order():
    scores = {0: 0.2, 1: 0.9, 2: 0.5}
    ranked = spread_ranking(candidates(scores), min_distance=1)
    assert ranked["slice"].tolist() == [1, 2, 0]
    assert ranked["suggested"].all()


def test_slices_of_different_scans_never_suppress_each_other():
    frame = pd.concat(
        [candidates({5: 0.9, 6: 0.8}, "stack"), candidates({5: 0.85, 6: 0.1}, "scan_b")]
    )
    ranked = spread_ranking(frame, min_distance=10)
    assert ranked.loc[ranked["suggested"], ["source", "slice"]].values.tolist() == [
        ["stack", 5],
        ["scan_b", 5],
    ]


def test_undefined_uncertainty_is_never_suggested_and_comes_last():
    nan = float("nan")
    ranked = spread_ranking(candidates({40: nan, 0: nan, 30: 0.4, 31: 0.3}), min_distance=5)
    assert ranked["slice"].tolist() == [30, 31, 0, 40]
    assert ranked["suggested"].tolist() == [True, False, False, False]
    assert ranked["near"].tolist()[1] == 30 and ranked["near"].iloc[2:].isna().all()


def test_the_ranking_does_not_depend_on_the_order_of_the_rows():
    # Ties everywhere: equal scores in two scans at the same slices, and undefined ones.
    frame = pd.concat(
        [
            candidates({5: 0.5, 9: 0.5, 30: float("nan"), 40: 0.2}, "stack"),
            candidates({5: 0.5, 9: 0.5, 30: float("nan")}, "scan_b"),
        ]
    )
    first = spread_ranking(frame, min_distance=3)
    for seed in range(5):
        shuffled = frame.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(spread_ranking(shuffled, min_distance=3), first)


def test_rank_comes_first_and_the_other_columns_are_kept():
    frame = candidates({3: 0.1, 4: 0.7}).assign(note=["a", "b"])
    frame.index = [10, 20]  # the caller's index is not a column of the ranking
    for table in (frame, frame.iloc[:0]):
        ranked = spread_ranking(table, min_distance=5)
        assert list(ranked.columns) == ["rank", *frame.columns, "suggested", "near"]
    assert spread_ranking(frame, min_distance=5)["note"].tolist() == ["b", "a"]


def test_an_empty_table_stays_empty_with_the_column_types_of_a_full_one():
    every_slice_suggested = spread_ranking(candidates({0: 0.2, 9: 0.5}), min_distance=1)
    some_passed_over = spread_ranking(candidates({0: 0.2, 1: 0.5}), min_distance=5)
    empty = spread_ranking(candidates({}), min_distance=5)
    assert empty.empty
    for ranked in (every_slice_suggested, some_passed_over):
        columns = list(RANKING_COLUMNS)
        assert ranked.dtypes[columns].to_dict() == empty.dtypes[columns].to_dict()
