"""The learning curve in the report: points from files, paired leads of the largest point, and the
stated rule for where the curve flattens, on constructed scores."""

import json

import numpy as np
import pandas as pd
import pytest

from xrayseg.evaluation.metrics import accuracy_and_mean_iou
from xrayseg.report.inputs import ModelResults
from xrayseg.report.learningcurve import curve_table, flattening, load_points

CLASSES = ["pore", "YSZ", "Ni"]
SETTINGS = {"n_resamples": 500, "confidence": 0.95, "seed": 0, "block": 1}


def confusions(error_rate, seed, n_slices=12):
    """Per-slice confusions, 1000 pixels per class, about `error_rate` of them wrong; the same
    slice difficulty for every seed-independent part (a shared base noise per slice)."""
    rng = np.random.default_rng(seed)
    difficulty = np.random.default_rng(99).uniform(0.5, 1.5, n_slices)
    matrices = np.zeros((n_slices, 3, 3), dtype=np.int64)
    for s in range(n_slices):
        for t in range(3):
            wrong = rng.binomial(1000, min(0.9, error_rate * difficulty[s]))
            matrices[s, t, t], matrices[s, t, (t + 1) % 3] = 1000 - wrong, wrong
    return matrices


def summary_and_metrics(matrices):
    rows = []
    for z, matrix in enumerate(matrices):
        accuracy, mean_iou = accuracy_and_mean_iou(matrix)
        row = {"split": "test", "slice": 100 + z, "accuracy": accuracy, "mean_iou": mean_iou}
        for t, true in enumerate(CLASSES):
            for p, pred in enumerate(CLASSES):
                row[f"count_{true}_as_{pred}"] = int(matrix[t, p])
        rows.append(row)
    accuracy, mean_iou = accuracy_and_mean_iou(matrices.sum(axis=0))
    test = {"accuracy": float(accuracy), "mean_iou": float(mean_iou), "n_slices": len(rows)}
    for key in ("accuracy", "mean_iou"):
        test[f"{key}_ci_low"], test[f"{key}_ci_high"] = test[key] - 0.01, test[key] + 0.01
    summary = {"model": "unet", "class_names": CLASSES, "splits": {"test": test}}
    return summary, pd.DataFrame(rows)


def points(error_rates, counts=(2, 5, 10, 20, 40)):
    made = []
    for seed, (n, rate) in enumerate(zip(counts, error_rates, strict=True)):
        summary, metrics = summary_and_metrics(confusions(rate, seed))
        made.append((n, n, ModelResults(f"{n} slices", summary, metrics, None, None, None)))
    return made


def test_a_curve_that_stops_improving_flattens_where_the_gains_stop():
    curve = curve_table(points([0.30, 0.15, 0.05, 0.05, 0.05]), SETTINGS)
    assert curve["slices"].tolist() == [2, 5, 10, 20, 40]
    assert curve["mean_iou"].iloc[0] < curve["mean_iou"].iloc[1] < curve["mean_iou"].iloc[2]
    assert curve["lead_mean_iou_ci_low"].iloc[0] > 0 and curve["lead_mean_iou_ci_low"].iloc[1] > 0
    assert curve["lead_mean_iou"].iloc[-1] == 0
    n, sentence = flattening(curve)
    assert n == 10 and "flattens at 10 labelled slices" in sentence


def test_a_curve_still_rising_has_not_flattened():
    curve = curve_table(points([0.40, 0.30, 0.20], counts=(2, 5, 10)), SETTINGS)
    n, sentence = flattening(curve)
    assert n is None and "has not flattened" in sentence


def test_an_uneven_curve_never_claims_the_largest_subset_beats_every_smaller_one():
    # As measured on the default volume: 5 and 10 slices above the largest, 20 just below it.
    curve = curve_table(points([0.30, 0.05, 0.04, 0.12, 0.10]), SETTINGS)
    assert curve["lead_mean_iou_ci_low"].iloc[3] > 0  # 20 measurably below the largest
    assert (curve["lead_mean_iou_ci_high"].iloc[1:3] < 0).all()  # 5 and 10 above it
    n, sentence = flattening(curve)
    assert n is None and "every smaller subset" not in sentence
    assert "beat 2 and 20 slices but not 5 and 10 (5 and 10 slices score measurably higher)" in (
        sentence
    )


def test_points_are_read_from_files_and_repeated_subset_sizes_kept_once(tmp_path):
    paths = {"splits": [], "summaries": [], "metrics": []}
    for asked, used in ((2, 2), (20, 9), (40, 9)):
        folder = tmp_path / "unet" / str(asked)
        (folder / "eval").mkdir(parents=True)
        splits = ["train"] * used + ["guard"] * (12 - used) + ["test"] * 4
        pd.DataFrame({"slice": range(len(splits)), "split": splits}).to_csv(
            folder / "subset_split.csv", index=False
        )
        summary, metrics = summary_and_metrics(confusions(0.1, asked))
        (folder / "eval" / "summary.json").write_text(json.dumps(summary))
        metrics.to_csv(folder / "eval" / "metrics.csv", index=False)
        paths["splits"].append(str(folder / "subset_split.csv"))
        paths["summaries"].append(str(folder / "eval" / "summary.json"))
        paths["metrics"].append(str(folder / "eval" / "metrics.csv"))
    loaded = load_points(paths["splits"], paths["summaries"], paths["metrics"])
    assert [(asked, used) for asked, used, _ in loaded] == [(2, 2), (20, 9)]
    assert loaded[1][2].summary["splits"]["test"]["mean_iou"] == pytest.approx(
        json.loads((tmp_path / "unet/20/eval/summary.json").read_text())["splits"]["test"][
            "mean_iou"
        ]
    )
