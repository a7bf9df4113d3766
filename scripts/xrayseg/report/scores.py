"""The comparison table: test scores with intervals, paired differences to the best model, costs.

The best model is the one with the highest pooled test mean IoU (accuracy breaks ties): accuracy
alone flatters a model that ignores a small phase. "By how much, and how sure": each other model's
difference to the best is bootstrapped over the test slices *paired* (both models scored on the
same resampled slices), which is much tighter than comparing two separate intervals, because
slice-to-slice difficulty affects both models alike.
"""

import numpy as np
import pandas as pd

from xrayseg.evaluation.bootstrap import bootstrap_intervals
from xrayseg.evaluation.slicescores import score_function
from xrayseg.io.resultnames import CONFUSION, INTERVAL_SCORES

# The best model has the highest test mean IoU; accuracy breaks ties.
RANKED_BY = ("mean_iou", "accuracy")
# Scores whose paired difference to the best model is bootstrapped: those computed from the
# confusion counts, which metrics.csv holds per slice.
PAIRED_SCORES = tuple(s for s in INTERVAL_SCORES if s.counts == CONFUSION)
SPLIT_ORDER = ("train", "val", "test")


def score_table(models):
    """DataFrame, one row per model, best first: pooled test scores and intervals, the train-test
    gaps, size and timings. `models`: {name: ModelResults}."""
    rows = []
    for name, model in models.items():
        summary = model.summary
        splits = summary["splits"]
        test = splits["test"]
        row = {"model": name, "arch": summary.get("arch", ""), "context": summary.get("context", 0)}
        for score in (s.name for s in INTERVAL_SCORES):
            row[f"test_{score}"] = test.get(score, np.nan)
            row[f"test_{score}_ci_low"] = test.get(f"{score}_ci_low", np.nan)
            row[f"test_{score}_ci_high"] = test.get(f"{score}_ci_high", np.nan)
        for split in ("train", "val"):
            for score in ("accuracy", "mean_iou"):
                row[f"{split}_{score}"] = splits.get(split, {}).get(score, np.nan)
        row["gap_accuracy"] = row["train_accuracy"] - row["test_accuracy"]
        row["gap_mean_iou"] = row["train_mean_iou"] - row["test_mean_iou"]
        row["test_slices"] = test.get("n_slices", np.nan)
        row["parameters"] = int(summary.get("parameters", 0))
        row["train_seconds"] = summary.get("train_seconds", np.nan)
        row["inference_seconds_per_slice"] = summary.get("inference_seconds_per_slice", np.nan)
        row["train_device"] = model.devices.get("train") or ""
        row["evaluate_device"] = model.devices.get("evaluate") or ""
        rows.append(row)
    table = pd.DataFrame(rows)
    table = table.sort_values(
        [f"test_{score}" for score in RANKED_BY], ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)
    table.insert(1, "rank", range(1, len(table) + 1))
    return table


def test_slice_confusions(model):
    """(slices, counts (n_slices, C, C)) of a model's test slices, from metrics.csv."""
    names = model.class_names
    columns = [f"count_{t}_as_{p}" for t in names for p in names]
    missing = [c for c in columns if c not in model.metrics.columns]
    if missing:
        raise ValueError(f"metrics.csv of {model.name}: missing confusion columns {missing[:3]}...")
    test = model.metrics[model.metrics["split"] == "test"].sort_values("slice")
    counts = test[columns].to_numpy(dtype=np.int64).reshape(-1, len(names), len(names))
    return test["slice"].to_numpy(), counts


def paired_differences(models, best, settings):
    """DataFrame model, diff_<score>, diff_<score>_ci_low, diff_<score>_ci_high for each of
    PAIRED_SCORES: the best model's score minus each model's, over the test slices both were
    scored on.

    settings: n_resamples, confidence, seed, block (the evaluation's bootstrap settings).
    """
    best_slices, best_counts = test_slice_confusions(models[best])
    functions = {s.name: score_function(s) for s in PAIRED_SCORES}
    rows = []
    for name, model in models.items():
        slices, counts = test_slice_confusions(model)
        if name == best:
            continue
        if not np.array_equal(slices, best_slices) or counts.shape != best_counts.shape:
            raise ValueError(
                f"metrics.csv of {name} and {best} hold different test slices; "
                "rerun evaluate for both"
            )
        paired = np.stack([best_counts, counts], axis=1)  # (slices, 2, C, C)
        pooled = paired.sum(axis=0)
        intervals = bootstrap_intervals(
            paired,
            {score: _difference_of(function) for score, function in functions.items()},
            settings["n_resamples"],
            settings["confidence"],
            settings["seed"],
            settings["block"],
        )
        row = {"model": name}
        for score, function in functions.items():
            values = function(pooled)
            row[f"diff_{score}"] = float(values[0] - values[1])
            row[f"diff_{score}_ci_low"], row[f"diff_{score}_ci_high"] = intervals[score]
        rows.append(row)
    columns = ["model"] + [
        f"diff_{s}{suffix}" for s in functions for suffix in ("", "_ci_low", "_ci_high")
    ]
    return pd.DataFrame(rows, columns=columns)


def _difference_of(function):
    """Statistic for bootstrap_intervals: a score (function of pooled counts) of the first model
    minus the second's, from pooled paired counts (n_resamples, 2, C, C)."""

    def difference(pooled):
        scores = function(pooled)
        return scores[:, 0] - scores[:, 1]

    return difference


def comparison_table(models, settings):
    """score_table with the paired differences to the best model joined on (NaN on its row)."""
    table = score_table(models)
    best = table["model"].iloc[0]
    differences = paired_differences(models, best, settings)
    return table.merge(differences, on="model", how="left")


def split_scores(models):
    """Long table model, split, score, value, ci_low, ci_high for every evaluated split."""
    rows = []
    for name, model in models.items():
        for split in SPLIT_ORDER:
            scores = model.summary["splits"].get(split)
            if not scores:
                continue
            for score in ("accuracy", "mean_iou"):
                rows.append(
                    {
                        "model": name,
                        "split": split,
                        "score": score,
                        "value": scores.get(score, np.nan),
                        "ci_low": scores.get(f"{score}_ci_low", np.nan),
                        "ci_high": scores.get(f"{score}_ci_high", np.nan),
                    }
                )
    return pd.DataFrame(rows, columns=["model", "split", "score", "value", "ci_low", "ci_high"])


def per_class_scores(models, score="iou", split="test"):
    """Long table model, class, value of a per-class pooled score (iou, dice, boundary_f1, ...)."""
    rows = []
    for name, model in models.items():
        scores = model.summary["splits"].get(split, {})
        for class_name in model.class_names:
            rows.append(
                {
                    "model": name,
                    "class": class_name,
                    "value": scores.get(f"{score}_{class_name}", np.nan),
                }
            )
    return pd.DataFrame(rows, columns=["model", "class", "value"])
