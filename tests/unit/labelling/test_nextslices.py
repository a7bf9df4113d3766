"""next_slices: an empty ranking when nothing is left; a prediction set's slices joined
from its fractions.csv."""

import logging

import pandas as pd

from xrayseg.labelling.nextslices import PREDICT_SET, merge_suggestions


def test_a_stack_without_candidates_and_no_prediction_sets_gives_an_empty_ranking(tmp_path, caplog):
    # What suggest writes for a fully labelled stack without guard slices: the header only.
    stack = tmp_path / "stack.csv"
    stack.write_text("rank,kind,slice,name,split,mean_uncertainty,suggested,near\n")
    out = tmp_path / "next_slices.csv"
    with caplog.at_level(logging.INFO):
        ranking = merge_suggestions(stack, {}, min_distance=3, out_csv=out)
    assert ranking.empty
    written = pd.read_csv(out)
    assert written.empty and {"rank", "slice", "suggested", "near"} <= set(written.columns)
    assert any("nothing to suggest" in record.getMessage() for record in caplog.records)


def test_a_sets_slices_join_with_their_mean_uncertainty_from_fractions_csv(tmp_path):
    stack = pd.DataFrame(
        {
            "source": ["stack"] * 2,
            "kind": ["unlabelled"] * 2,
            "slice": [3, 9],
            "name": ["s3.tif", "s9.tif"],
            "split": ["", ""],
            "mean_uncertainty": [0.2, 0.05],
        }
    )
    stack.to_csv(tmp_path / "stack.csv", index=False)
    fractions = pd.DataFrame(
        {
            "slice": [0, 1, 2],
            "name": ["b0.tif", "b1.tif", "b2.tif"],
            "file": ["b0.tif", "b1.tif", "b2.tif"],
            "fraction_pore": [0.3, 0.3, 0.3],
            "mean_uncertainty": [0.1, 0.4, float("nan")],
        }
    )
    fractions.to_csv(tmp_path / "fractions.csv", index=False)
    ranking = merge_suggestions(
        tmp_path / "stack.csv", {"scan_b": tmp_path / "fractions.csv"}, 1, tmp_path / "next.csv"
    )
    first = ranking.iloc[0]
    assert (first["source"], first["slice"], first["kind"]) == ("scan_b", 1, PREDICT_SET)
    scan = ranking[ranking["source"] == "scan_b"].set_index("slice")
    assert scan.loc[0, "mean_uncertainty"] == 0.1 and scan.loc[1, "name"] == "b1.tif"
    assert not scan.loc[2, "suggested"]  # no uncertainty defined: never suggested
    assert pd.read_csv(tmp_path / "next.csv")["source"].tolist() == ranking["source"].tolist()
