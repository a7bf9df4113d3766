"""The stack's suggestions joined with every prediction set's: suggest/{model}/next_slices.csv.

A prediction set's slices have no labels, so each is a candidate; its mean uncertainty comes from
the set's uncertainty.h5, written by predict with the same model and temperature as the stack's
suggestions, so the numbers compare. The joined table is ranked again (xrayseg.labelling.ranking):
spread along each stack or scan, most uncertain first across all of them.
"""

import logging

import h5py
import pandas as pd

from xrayseg.io.tables import write_csv
from xrayseg.io.uncertainty import slice_means
from xrayseg.labelling.ranking import RANKING_COLUMNS, spread_ranking

log = logging.getLogger(__name__)

PREDICT_SET = "predict set"


def set_candidates(set_name, uncertainty_path):
    """One candidate row per slice of a prediction set, from its uncertainty.h5."""
    means = slice_means(uncertainty_path)
    with h5py.File(uncertainty_path, "r") as file:
        names = file["slice_name"].asstr()[:]
        flips = (
            slice_means(uncertainty_path, "flip_disagreement")
            if "flip_disagreement" in file
            else {}
        )
    rows = []
    for (z, mean), name in zip(means.items(), names, strict=True):
        row = {"source": set_name, "kind": PREDICT_SET, "slice": z, "name": name, "split": ""}
        row["mean_uncertainty"] = mean
        if flips:
            row["mean_flip_disagreement"] = flips[z]
        rows.append(row)
    return pd.DataFrame(rows)


def merge_suggestions(stack_csv, set_files, min_distance, out_csv):
    """Write next_slices.csv from the stack's stack.csv and {set name: uncertainty.h5}."""
    stack = pd.read_csv(stack_csv).drop(columns=list(RANKING_COLUMNS), errors="ignore")
    frames = [stack] + [set_candidates(name, path) for name, path in sorted(set_files.items())]
    # Every slice labelled and no prediction set: nothing to suggest (an empty table).
    candidates = [f for f in frames if not f.empty]
    joined = pd.concat(candidates, ignore_index=True, sort=False) if candidates else stack
    ranking = spread_ranking(joined, min_distance)
    write_csv(ranking, out_csv)
    suggested = ranking.loc[ranking["suggested"], ["source", "slice"]].head(10)
    log.info(
        "%d candidates from the stack and %d prediction sets; first suggestions: %s",
        len(ranking),
        len(set_files),
        [f"{s}:{z}" for s, z in suggested.itertuples(index=False)],
    )
    return ranking
