"""The report's verdict: which model, and how sure, in one sentence, then the numbers behind it.

The sentence names the best model by test mean IoU when its paired interval over every other
model lies above 0, and otherwise every model it is tied with (their interval includes 0); then
it says whether the microstructure ranking agrees and, when not, which model comes closest on
the microstructure. Differences are in percentage points with as many decimals as tell the
interval's ends apart.
"""

import math

from xrayseg.microstructure.ranking import RANKING_RULE
from xrayseg.report.page import difference_points
from xrayseg.report.scores import RANKED_BY

SCORE = RANKED_BY[0]
SCORE_LABEL = "mean IoU"


def clearly_ahead(row):
    """Whether the best model's paired interval over this comparison row lies above 0."""
    low = row[f"diff_{SCORE}_ci_low"]
    return math.isfinite(low) and low > 0


def tied_with_best(comparison):
    """Models (best first) whose difference to the best is not clearly above 0: the interval
    includes 0, or too few slices to tell."""
    return [row["model"] for _, row in comparison.iloc[1:].iterrows() if not clearly_ahead(row)]


def listing(names):
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _lead(row, unit="pp"):
    return difference_points(
        row[f"diff_{SCORE}"], row[f"diff_{SCORE}_ci_low"], row[f"diff_{SCORE}_ci_high"], unit=unit
    )


def _pixel_part(comparison, confidence):
    best = comparison.iloc[0]
    n_test = int(best["test_slices"])
    level = f"{confidence:.0%}"
    if len(comparison) == 1:
        return f"{best['model']} is the only model (test {SCORE_LABEL} on {n_test} test slices)"
    others = comparison.iloc[1:].set_index("model", drop=False)
    tied = tied_with_best(comparison)
    if not tied:
        closest = others.iloc[0]
        return (
            f"{best['model']} is the best model: on the {n_test} test slices it is clearly "
            f"ahead of every other model in {SCORE_LABEL} (its smallest lead, over "
            f"{closest['model']}, is {_lead(closest, 'percentage points')}, paired {level} "
            "interval)"
        )
    leads = ", ".join(
        f"over {name} {_lead(others.loc[name], 'percentage points')}" for name in tied
    )
    rest = [name for name in others.index if name not in tied]
    ahead = f", clearly ahead of {listing(rest)}" if rest else ""
    includes = (
        f"a paired {level} interval that includes 0"
        if len(tied) == 1
        else f"paired {level} intervals that include 0"
    )
    return (
        f"{listing([best['model'], *tied])} are tied for the best {SCORE_LABEL} on the "
        f"{n_test} test slices ({best['model']}'s lead {leads}: {includes}){ahead}"
    )


def _microstructure_part(comparison, ranking):
    """How the microstructure ranking relates to the pixel ranking; None without one."""
    if ranking is None or ranking.empty:
        return None
    first = ranking.iloc[0]
    if not math.isfinite(first["microstructure_error"]):
        return None
    best = comparison["model"].iloc[0]
    closest = first["model"]
    if closest == best:
        return f"the microstructure ranking agrees: {best} also comes closest on the microstructure"
    errors = ranking.set_index("model")["microstructure_error"]
    against = f"{100 * errors[closest]:.1f} % microstructure error against {best}'s"
    against += f" {100 * errors[best]:.1f} %" if best in errors else " (not measured)"
    if closest in tied_with_best(comparison):
        return (
            f"the rankings differ: of the tied models, {closest} comes closest on the "
            f"microstructure ({against})"
        )
    pixel_rank = int(comparison.set_index("model").loc[closest, "rank"])
    return (
        f"the rankings differ: on the microstructure {closest} (rank {pixel_rank} by "
        f"{SCORE_LABEL}) comes closest ({against})"
    )


def headline(comparison, confidence, ranking=None):
    """The one sentence: which model, how sure, and how the microstructure ranking relates.

    comparison: scores.comparison_table (best first); ranking: microranking's ranking or None.
    """
    parts = [_pixel_part(comparison, confidence)]
    micro = _microstructure_part(comparison, ranking)
    if micro:
        parts.append(micro)
    return "; ".join(parts) + "."


def details(comparison, confidence, ranking=None):
    """Sentences with the numbers behind the headline: the best model's scores and its paired
    lead over each model; each model's microstructure error."""
    best = comparison.iloc[0]
    level = f"{confidence:.0%}"
    scores = (
        f"{best['model']}: test mean IoU {_interval(best, 'mean_iou')}, pixel accuracy "
        f"{_interval(best, 'accuracy')} ({level} bootstrap intervals over the "
        f"{int(best['test_slices'])} test slices)"
    )
    if len(comparison) > 1:
        leads = ", ".join(
            f"over {row['model']} {_lead(row)}" for _, row in comparison.iloc[1:].iterrows()
        )
        scores += f"; its lead in {SCORE_LABEL}, paired: {leads}"
    lines = [scores + "."]
    if ranking is not None and not ranking.empty:
        errors = ", ".join(
            f"{row['model']} {100 * row['microstructure_error']:.1f} %"
            for _, row in ranking.iterrows()
            if math.isfinite(row["microstructure_error"])
        )
        if errors:
            lines.append(
                f"Microstructure error ({RANKING_RULE}; the Microstructure section has each "
                f"quantity): {errors}."
            )
    return lines


def verdict_lines(comparison, confidence, ranking=None):
    """The headline sentence, then its details."""
    return [headline(comparison, confidence, ranking), *details(comparison, confidence, ranking)]


def _interval(row, score):
    return (
        f"{row[f'test_{score}']:.3f} "
        f"[{row[f'test_{score}_ci_low']:.3f}, {row[f'test_{score}_ci_high']:.3f}]"
    )
