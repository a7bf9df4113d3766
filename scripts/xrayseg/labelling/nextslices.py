"""The stack's suggestions joined with every prediction set's: suggest/{model}/next_slices.csv.

A prediction set's slices have no labels, so each is a candidate; its mean uncertainty comes from
the set's fractions.csv (mean_uncertainty, mean_flip_disagreement per slice), written by predict
with the same model and temperature as the stack's suggestions, so the numbers compare. The
joined table is ranked again (xrayseg.labelling.ranking): spread along each stack or scan, most
uncertain first across all of them.
"""

import logging

import pandas as pd

from xrayseg.io.tables import write_csv
from xrayseg.labelling.ranking import RANKING_COLUMNS, spread_ranking

log = logging.getLogger(__name__)

PREDICT_SET = "predict set"


def set_candidates(set_name, fractions_csv):
    """One candidate row per slice of a prediction set, from its fractions.csv."""
    fractions = pd.read_csv(fractions_csv)
    rows = pd.DataFrame(
        {
            "source": set_name,
            "kind": PREDICT_SET,
            "slice": fractions["slice"],
            "name": fractions["name"],
            "split": "",
            "mean_uncertainty": fractions["mean_uncertainty"],
        }
    )
    if "mean_flip_disagreement" in fractions:
        rows["mean_flip_disagreement"] = fractions["mean_flip_disagreement"]
    return rows


def merge_suggestions(stack_csv, set_files, min_distance, out_csv):
    """Write next_slices.csv from the stack's stack.csv and {set name: fractions.csv}."""
    stack = pd.read_csv(stack_csv).drop(columns=list(RANKING_COLUMNS), errors="ignore")
    frames = [stack] + [set_candidates(name, path) for name, path in sorted(set_files.items())]
    candidates = [f for f in frames if not f.empty]
    # No candidate anywhere (a fully labelled stack without guard slices, and no prediction
    # sets) is an answer: an empty ranking, and a note saying why.
    joined = pd.concat(candidates, ignore_index=True, sort=False) if candidates else stack
    ranking = spread_ranking(joined, min_distance)
    write_csv(ranking, out_csv)
    if ranking.empty:
        log.info(
            "nothing to suggest: every slice of the stack is labelled, it has no guard slices "
            "(split.guard_slices: 0) and there are no prediction sets (predict:); %s lists no "
            "slice",
            out_csv,
        )
        return ranking
    suggested = ranking.loc[ranking["suggested"], ["source", "slice"]].head(10)
    log.info(
        "%d candidates from the stack and %d prediction sets; first suggestions: %s",
        len(ranking),
        len(set_files),
        [f"{s}:{z}" for s, z in suggested.itertuples(index=False)],
    )
    return ranking
