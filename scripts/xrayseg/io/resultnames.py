"""Names of the results one stage writes and another reads: interval scores and patch counts.

Standard library only: the scores
with a bootstrap interval (evaluate writes them, the report reads them) and the patch counts (the
patch cutters write them, the report reads them). Every user derives its keys, columns and
labels from here, so a name is written once.

Adding a score with an interval: write its function in xrayseg/evaluation/metrics.py (counts
"confusion") or xrayseg/evaluation/boundary.py (counts "boundary"), named as the score and
mapping pooled counts (..., C, C) or (..., C, 4) to one value each, and add one IntervalScore
below. evaluate then writes it per slice (metrics.csv) and pooled with its interval
(summary.json); the report shows it with its interval (scores.csv, the score table) and, for a
confusion score, the best model's paired lead over each model (scores.csv).
"""

from dataclasses import dataclass

# The per-slice counts a score is computed from: the confusion matrix (C, C) of true against
# predicted class, or the boundary counts (C, 4) of xrayseg.evaluation.boundary.
CONFUSION = "confusion"
BOUNDARY = "boundary"


@dataclass(frozen=True)
class IntervalScore:
    """A score pooled over a split's slices with a bootstrap interval over slices.

    name: its key in summary.json (with <name>_ci_low / _ci_high), column of metrics.csv and,
    as test_<name>, of scores.csv; also the name of the function that computes it.
    label: how the report names it. counts: CONFUSION or BOUNDARY.
    """

    name: str
    label: str
    counts: str


# In the order the tables list them.
INTERVAL_SCORES = (
    IntervalScore("accuracy", "accuracy", CONFUSION),
    IntervalScore("mean_iou", "mean IoU", CONFUSION),
    IntervalScore("mean_boundary_f1", "boundary F1", BOUNDARY),
)

# Patches per split counted while cutting (columns of results/patches/{size}px*.csv) -> how the
# report names them. Every patch made ends in exactly one of the last four.
PATCH_COUNTS = {
    "made": "made",
    "mostly_ignored": "mostly ignored",
    "exact_duplicates": "exact duplicates",
    "near_duplicates": "near-duplicates",
    "kept": "kept",
}
COUNT_NAMES = tuple(PATCH_COUNTS)
