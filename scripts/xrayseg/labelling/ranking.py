"""Rank candidate slices for labelling by mean uncertainty, spread out along each stack.

Neighbouring slices are nearly identical, so the most uncertain slices of a stack usually sit
next to each other around one hard spot: labelling five of them teaches the model about one
place five times. The ranking is greedy non-maximum suppression along the stack: take the most
uncertain slice, pass over every slice of the same source (stack or scan) closer than
`min_distance` slices to a slice already taken, repeat. The taken slices come first
(`suggested`), in the order taken; the passed-over ones follow by uncertainty, each naming the
suggested slice it lies near (`near`). Slices without a defined uncertainty come last.
"""

import numpy as np
import pandas as pd

RANKING_COLUMNS = ("rank", "suggested", "near")
# The types of the ranking columns, the same for an empty table as for a full one.
RANKING_DTYPES = {"rank": "int64", "suggested": "bool", "near": "float64"}


def spread_ranking(candidates, min_distance, score="mean_uncertainty"):
    """`candidates` (columns source, slice and `score`, any others kept) ranked as above, with
    rank (1 = label first), suggested (bool) and near (the slice it was passed over for; NaN for
    a suggested one)."""
    frame = candidates.reset_index(drop=True).copy()
    if frame.empty:
        for column in RANKING_COLUMNS:
            frame[column] = pd.Series(dtype=RANKING_DTYPES[column])
        return frame[["rank", *candidates.columns, "suggested", "near"]]
    scores = frame[score].to_numpy(dtype=np.float64)
    # Most uncertain first; among equal scores by source, then the lower slice, first.
    order = sorted(
        range(len(frame)),
        key=lambda i: (
            not np.isfinite(scores[i]),
            -scores[i] if np.isfinite(scores[i]) else 0.0,
            str(frame.at[i, "source"]),
            int(frame.at[i, "slice"]),
        ),
    )
    taken, near = [], {}
    for i in order:
        if not np.isfinite(scores[i]):
            continue
        source, z = frame.at[i, "source"], int(frame.at[i, "slice"])
        blocking = [
            j
            for j in taken
            if frame.at[j, "source"] == source and abs(int(frame.at[j, "slice"]) - z) < min_distance
        ]
        if blocking:
            near[i] = int(frame.at[blocking[0], "slice"])
        else:
            taken.append(i)
    passed_over = [i for i in order if i not in set(taken)]
    ranked = frame.loc[taken + passed_over].reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    ranked["suggested"] = [i in set(taken) for i in taken + passed_over]
    ranked["near"] = [near.get(i, np.nan) for i in taken + passed_over]
    return ranked
