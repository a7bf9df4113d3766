"""The report's "Would more labels help?" section: the learning curve and where it flattens.

The curve's points (one model trained on nested subsets of the labelled train slices,
results/learning_curve/{model}/{n}/), their test scores with intervals, and where it flattens.

Each point's lead over the others is bootstrapped *paired* over the test slices (every point is
scored on the same slices, so slice difficulty cancels; xrayseg.report.scores.paired_differences).
The stated rule: the curve has flattened at the smallest number of slices from which on no
point's paired interval for the largest point's lead in test mean IoU lies above 0, i.e. the
largest labelled set does not measurably beat it.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import NullLocator

from xrayseg.report.inputs import ModelResults, read_csv, read_json
from xrayseg.report.page import esc, figure_html, table, with_interval
from xrayseg.report.scores import paired_differences

SCORES = ("mean_iou", "accuracy")
LABELS = {"mean_iou": "test mean IoU", "accuracy": "test pixel accuracy"}


def load_points(splits, summaries, metrics):
    """[(asked n, slices used, ModelResults)] of every point, in the given order; a point whose
    subset is the same size as an earlier one's (more slices asked than there are) is left out."""
    points, seen = [], set()
    for split_path, summary_path, metrics_path in zip(splits, summaries, metrics, strict=True):
        split = read_csv(split_path, ("slice", "split"))
        used = int((split["split"] == "train").sum())
        asked = int(split_path.replace("\\", "/").rstrip("/").split("/")[-2])
        if used in seen:
            continue
        seen.add(used)
        results = ModelResults(
            name=f"{used} slices",
            summary=read_json(summary_path),
            metrics=read_csv(metrics_path, ("split", "slice", "accuracy", "mean_iou")),
            confusion=None,
            history=None,
            predictions=None,
        )
        points.append((asked, used, results))
    return points


def curve_table(points, settings):
    """One row per point, fewest slices first: slices asked and used, test scores with their
    intervals, and the largest point's paired lead over it (with its interval)."""
    points = sorted(points, key=lambda point: point[1])
    models = {results.name: results for _, _, results in points}
    largest = points[-1][2].name
    leads = paired_differences(models, largest, settings).set_index("model")
    rows = []
    for asked, used, results in points:
        test = results.summary["splits"]["test"]
        row = {"asked": asked, "slices": used, "model": results.name}
        for score in SCORES:
            row[score] = test[score]
            row[f"{score}_ci_low"] = test.get(f"{score}_ci_low", np.nan)
            row[f"{score}_ci_high"] = test.get(f"{score}_ci_high", np.nan)
            for suffix in ("", "_ci_low", "_ci_high"):
                key = f"diff_{score}{suffix}"
                row[f"lead_{score}{suffix}"] = (
                    leads.at[results.name, key] if results.name in leads.index else 0.0
                )
        rows.append(row)
    return pd.DataFrame(rows)


def flattening(curve, score="mean_iou"):
    """(slices, sentence): the smallest number of slices from which on the largest point's
    paired lead is not measurably above 0 (None when only the largest point itself qualifies)."""
    lows = curve[f"lead_{score}_ci_low"].to_numpy(dtype=float)
    slices = curve["slices"].to_numpy()
    largest = int(slices[-1])
    settled = None
    for index in range(len(curve) - 1, -1, -1):
        if index == len(curve) - 1 or lows[index] <= 0:
            settled = index
        else:
            break
    if settled == len(curve) - 1:
        return None, _not_flattened(curve, score, largest)
    n = int(slices[settled])
    return n, (
        f"The curve flattens at {n} labelled slices: from there on, no point's test mean IoU "
        f"is measurably below that of {largest} slices (no paired interval of the lead lies "
        "above 0), so more labels of the same kind are unlikely to help much."
    )


def _not_flattened(curve, score, largest):
    """The sentence for a curve whose next-to-largest point is measurably below the largest:
    "more labels would help" only when the largest beats every smaller subset; a smaller subset
    scoring as high or higher (training on other slices varies more than the test intervals
    show) makes the curve too uneven to tell."""
    smaller = curve.iloc[:-1]
    beaten = smaller["slices"][smaller[f"lead_{score}_ci_low"] > 0].astype(int).tolist()
    not_beaten = smaller["slices"][~(smaller[f"lead_{score}_ci_low"] > 0)].astype(int).tolist()
    if not not_beaten:
        return (
            f"The curve has not flattened: {largest} labelled slices still beat every smaller "
            "subset measurably (paired intervals above 0), so more labelled slices would "
            "probably help."
        )
    higher = smaller["slices"][smaller[f"lead_{score}_ci_high"] < 0].astype(int).tolist()
    return (
        f"The curve is too uneven to say where it flattens: {largest} labelled slices "
        f"measurably beat {_listed(beaten)} slices but not {_listed(not_beaten)}"
        + (f" ({_listed(higher)} slices score measurably higher)" if higher else "")
        + ", so the differences between these subsets are about as large as training on "
        "other slices makes them; the scores do not show that more labels would help."
    )


def _listed(numbers):
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def curve_figure(curve, reference, colour):
    """Test mean IoU and accuracy against labelled train slices (log scale), with intervals;
    the main run's score (every labelled train slice) as a dashed line."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    for axis, score in zip(axes, SCORES, strict=True):
        values = curve[score].to_numpy(dtype=float)
        errors = np.vstack(
            [values - curve[f"{score}_ci_low"], curve[f"{score}_ci_high"] - values]
        ).clip(min=0)
        axis.errorbar(curve["slices"], values, yerr=errors, marker="o", capsize=4, color=colour)
        if reference is not None:
            main = reference["splits"]["test"][score]
            axis.axhline(main, color="0.5", linestyle="--", linewidth=1, label="main run")
            axis.legend(loc="lower right", fontsize="small")
        axis.set_xscale("log")
        axis.xaxis.set_minor_locator(NullLocator())
        axis.set_xticks(curve["slices"].tolist(), [str(n) for n in curve["slices"]])
        axis.set_xlabel("labelled train slices")
        axis.set_ylabel(LABELS[score])
    return figure


def curve_rows(curve):
    rows = []
    for _, row in curve.iterrows():
        cells = [str(int(row["slices"])), str(int(row["asked"]))]
        for score in SCORES:
            cells.append(with_interval(row[score], row[f"{score}_ci_low"], row[f"{score}_ci_high"]))
        last = row.name == len(curve) - 1
        cells.append(
            "largest"
            if last
            else with_interval(
                row["lead_mean_iou"],
                row["lead_mean_iou_ci_low"],
                row["lead_mean_iou_ci_high"],
                signed=True,
            )
        )
        rows.append(cells)
    return rows


def curve_parts(model, curve, png, sentence, confidence):
    level = f"{confidence:.0%}"
    return [
        f"<p><b>{esc(sentence)}</b></p>",
        f"<p>{esc(model)} trained on nested, seeded, evenly spread subsets of the labelled "
        "train slices (each subset holds the smaller ones), with the same settings and steps "
        "as the main run, and scored on the same test slices. Brackets: "
        f"{level} bootstrap intervals over the test slices; the lead of the largest subset is "
        "bootstrapped paired (both scored on the same resampled slices). The intervals are "
        "about the test slices, not about which slices were labelled: another subset of the "
        "same size can score differently.</p>",
        table(
            [
                "labelled slices",
                "asked",
                "test mean IoU [CI]",
                "test accuracy [CI]",
                "largest − this, mean IoU [paired CI]",
            ],
            curve_rows(curve),
            text_columns=(),
        ),
        figure_html(
            png,
            "learning curve",
            "Test mean IoU and pixel accuracy against the number of labelled train slices "
            "(log scale), with bootstrap intervals; dashed: the main run (every labelled train "
            "slice).",
        ),
    ]
