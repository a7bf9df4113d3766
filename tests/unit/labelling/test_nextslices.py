"""next_slices.csv when there is nothing to rank: an answer, not an error."""

import logging

import pandas as pd

from xrayseg.labelling.nextslices import merge_suggestions


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
