import pandas as pd

from xrayseg.labelling.nextslices import merge_suggestions


def test_a_stack_without_candidates_and_no_prediction_set_writes_an_empty_table(tmp_path):
    """Every slice labelled (e.g. 9 sparse slices, all in train, val or test) and no predict
    set: nothing to suggest, and the table says so instead of the job failing."""
    stack_csv = tmp_path / "stack.csv"
    stack_csv.write_text("source,kind,slice,name,split,mean_uncertainty,rank,suggested,near\n")
    out_csv = tmp_path / "next_slices.csv"
    ranking = merge_suggestions(stack_csv, {}, min_distance=15, out_csv=out_csv)
    assert ranking.empty
    assert pd.read_csv(out_csv).empty
