"""The comparison table (scores.csv) and the long tables the report's figures draw, on models
whose scores are given by hand."""

import numpy as np
import pandas as pd
import pytest

from xrayseg.evaluation.metrics import accuracy_and_mean_iou
from xrayseg.report import inputs, scores

CLASSES = ["a", "b"]


def model(name, splits, **summary):
    """ModelResults with the given pooled split scores (and no per-slice table)."""
    devices = summary.pop("devices", {"train": "cuda:0", "evaluate": None})
    recorded = {"train_device": devices["train"], "device": devices["evaluate"]}
    return inputs.ModelResults(
        name=name,
        summary={"arch": "unet", "class_names": CLASSES, "splits": splits, **recorded, **summary},
        metrics=pd.DataFrame(),
        confusion=pd.DataFrame(),
        history=pd.DataFrame(),
        predictions=None,
    )


def scored(accuracy, mean_iou, **more):
    return {"accuracy": accuracy, "mean_iou": mean_iou, **more}


def test_the_gap_is_train_minus_test_so_a_model_that_memorised_its_slices_has_a_positive_gap():
    overfit = model("overfit", {"train": scored(0.99, 0.95), "test": scored(0.80, 0.60)})
    honest = model("honest", {"train": scored(0.85, 0.70), "test": scored(0.88, 0.75)})
    table = scores.score_table({"overfit": overfit, "honest": honest}).set_index("model")
    assert table.loc["overfit", "gap_accuracy"] == pytest.approx(0.19)
    assert table.loc["overfit", "gap_mean_iou"] == pytest.approx(0.35)
    assert table.loc["honest", "gap_accuracy"] == pytest.approx(-0.03)
    assert table.loc["honest", "gap_mean_iou"] == pytest.approx(-0.05)


def test_the_table_holds_every_column_best_model_first():
    first = model(
        "first",
        {
            "test": scored(
                0.9,
                0.8,
                accuracy_ci_low=0.85,
                accuracy_ci_high=0.95,
                mean_iou_ci_low=0.7,
                mean_iou_ci_high=0.85,
                mean_boundary_f1=0.6,
                mean_boundary_f1_ci_low=0.5,
                mean_boundary_f1_ci_high=0.7,
                n_slices=12,
            ),
            "val": scored(0.91, 0.81),
        },
        context=2,
        parameters=1234.0,
        train_seconds=60.0,
        inference_seconds_per_slice=0.5,
        devices={"train": "cpu", "evaluate": "cuda:1"},
    )
    second = model("second", {"test": scored(0.95, 0.5)}, arch="rf")
    table = scores.score_table({"second": second, "first": first})
    assert table.columns.tolist()[:4] == ["model", "rank", "arch", "context"]
    assert table["model"].tolist() == ["first", "second"]
    assert table["rank"].tolist() == [1, 2]
    row = table.iloc[0]
    assert row["test_accuracy_ci_low"] == 0.85 and row["test_accuracy_ci_high"] == 0.95
    assert row["test_mean_iou_ci_low"] == 0.7 and row["test_mean_iou_ci_high"] == 0.85
    assert row["test_mean_boundary_f1"] == 0.6
    assert row["test_mean_boundary_f1_ci_low"] == 0.5
    assert row["test_mean_boundary_f1_ci_high"] == 0.7
    assert row["val_accuracy"] == 0.91 and row["val_mean_iou"] == 0.81
    assert np.isnan(row["train_accuracy"]) and np.isnan(row["gap_accuracy"])
    assert row["test_slices"] == 12 and row["context"] == 2
    assert row["parameters"] == 1234 and isinstance(row["parameters"], int | np.integer)
    assert row["train_seconds"] == 60.0 and row["inference_seconds_per_slice"] == 0.5
    assert (row["train_device"], row["evaluate_device"]) == ("cpu", "cuda:1")
    other = table.iloc[1]
    assert other["arch"] == "rf" and other["context"] == 0 and other["parameters"] == 0
    assert np.isnan(other["test_mean_iou_ci_low"]) and np.isnan(other["test_mean_iou_ci_high"])
    assert np.isnan(other["test_slices"])
    assert np.isnan(other["train_seconds"]) and np.isnan(other["inference_seconds_per_slice"])
    assert (other["train_device"], other["evaluate_device"]) == ("cuda:0", "")


def test_mean_iou_ranks_first_then_accuracy_and_undefined_scores_come_last():
    models = {
        "nan": model("nan", {"test": scored(0.99, float("nan"))}),
        "low": model("low", {"test": scored(0.99, 0.5)}),
        "tie_worse": model("tie_worse", {"test": scored(0.8, 0.7)}),
        "tie_better": model("tie_better", {"test": scored(0.9, 0.7)}),
        "tie_equal": model("tie_equal", {"test": scored(0.8, 0.7)}),
    }
    table = scores.score_table(models)
    assert table["model"].tolist() == ["tie_better", "tie_worse", "tie_equal", "low", "nan"]


def test_split_scores_list_every_evaluated_split_in_order():
    models = {
        "m": model(
            "m",
            {
                "test": scored(0.8, 0.6, accuracy_ci_low=0.7, accuracy_ci_high=0.9),
                "train": scored(0.9, 0.7),
                "val": {},
            },
        )
    }
    long = scores.split_scores(models)
    assert long.columns.tolist() == ["model", "split", "score", "value", "ci_low", "ci_high"]
    assert list(zip(long["split"], long["score"], strict=True)) == [
        ("train", "accuracy"),
        ("train", "mean_iou"),
        ("test", "accuracy"),
        ("test", "mean_iou"),
    ]
    assert long["value"].tolist() == [0.9, 0.7, 0.8, 0.6]
    test_accuracy = long.iloc[2]
    assert (test_accuracy["ci_low"], test_accuracy["ci_high"]) == (0.7, 0.9)
    assert long.iloc[3][["ci_low", "ci_high"]].isna().all()
    assert scores.split_scores({}).columns.tolist() == long.columns.tolist()


def test_per_class_scores_read_each_class_of_the_split():
    splits = {"test": {"iou_a": 0.5, "iou_b": 0.25, "dice_a": 0.6}, "train": {"iou_a": 0.9}}
    models = {"m": model("m", splits)}
    iou = scores.per_class_scores(models)
    assert iou.columns.tolist() == ["model", "class", "value"]
    assert iou["class"].tolist() == CLASSES and iou["value"].tolist() == [0.5, 0.25]
    dice = scores.per_class_scores(models, "dice")["value"]
    assert dice[0] == 0.6 and np.isnan(dice[1])
    train = scores.per_class_scores(models, "iou", "train")["value"]
    assert train[0] == 0.9 and np.isnan(train[1])
    assert scores.per_class_scores(models, "iou", "val")["value"].isna().all()


def with_slices(name, confusions, slices):
    """ModelResults with per-slice test confusions in metrics.csv (and a train slice)."""
    rows = []
    for z, confusion in zip(slices, confusions, strict=True):
        row = {"split": "test", "slice": z}
        for t, true in enumerate(CLASSES):
            for p, pred in enumerate(CLASSES):
                row[f"count_{true}_as_{pred}"] = int(confusion[t, p])
        rows.append(row)
    rows.append({**rows[0], "split": "train", "slice": -1, "count_a_as_a": 10**6})
    accuracy, mean_iou = accuracy_and_mean_iou(np.sum(confusions, axis=0))
    result = model(name, {"test": scored(float(accuracy), float(mean_iou), n_slices=len(slices))})
    result.metrics = pd.DataFrame(rows[::-1])
    return result


def confusions_with_errors(errors):
    """2 x 2 confusions of 100 pixels per class with errors[i] pixels of class a called b."""
    return np.array([[[100 - e, e], [0, 100]] for e in errors])


def test_slice_confusions_are_the_test_rows_in_slice_order():
    result = with_slices("m", confusions_with_errors([1, 2, 3]), [7, 5, 6])
    slices, counts = scores.test_slice_confusions(result)
    assert slices.tolist() == [5, 6, 7]
    assert counts[:, 0, 1].tolist() == [2, 3, 1]
    result.metrics = result.metrics.drop(columns="count_b_as_a")
    with pytest.raises(ValueError, match=r"metrics.csv of m: missing confusion columns"):
        scores.test_slice_confusions(result)


SETTINGS = {"n_resamples": 300, "confidence": 0.9, "seed": 0, "block": 1}


def test_paired_differences_are_best_minus_each_model_on_the_same_slices():
    slices = list(range(10))
    best = with_slices("best", confusions_with_errors([0] * 10), slices)
    worse = with_slices("worse", confusions_with_errors([10, 30] * 5), slices)
    table = scores.paired_differences({"worse": worse, "best": best}, "best", SETTINGS)
    assert table.columns[0] == "model"
    assert {
        "diff_accuracy",
        "diff_accuracy_ci_low",
        "diff_accuracy_ci_high",
        "diff_mean_iou",
        "diff_mean_iou_ci_low",
        "diff_mean_iou_ci_high",
    } <= set(table.columns)
    row = table.set_index("model").loc["worse"]
    # Pooled over 2000 pixels, 200 of class a called b: accuracy 0.9 against 1.
    assert row["diff_accuracy"] == pytest.approx(0.1)
    iou_a, iou_b = 800 / 1000, 1000 / 1200
    assert row["diff_mean_iou"] == pytest.approx(1 - (iou_a + iou_b) / 2)
    # Slices alternate 10 and 30 errors of 200 pixels: the difference per resample lies between
    # 0.05 and 0.15, so do the interval's ends; and the interval holds the point.
    for score in ("accuracy", "mean_iou"):
        low, high = row[f"diff_{score}_ci_low"], row[f"diff_{score}_ci_high"]
        assert 0 < low < row[f"diff_{score}"] < high
    assert row["diff_accuracy_ci_low"] > 0.05 and row["diff_accuracy_ci_high"] < 0.15


def test_paired_intervals_follow_the_bootstrap_settings():
    slices = list(range(12))
    best = with_slices("best", confusions_with_errors([0] * 12), slices)
    worse = with_slices("worse", confusions_with_errors([5, 40, 10, 25] * 3), slices)
    models = {"best": best, "worse": worse}

    def interval(**settings):
        row = scores.paired_differences(models, "best", {**SETTINGS, **settings}).iloc[0]
        return row["diff_mean_iou_ci_low"], row["diff_mean_iou_ci_high"]

    low, high = interval()
    assert interval() == (low, high)
    assert interval(seed=1) != (low, high)
    wide = interval(confidence=0.99)
    assert wide[0] < low and high < wide[1]
    single = interval(n_resamples=1)
    assert single[0] == single[1]
    # Runs of 4 slices, each holding one of every kind: every resample is the data's mean.
    blocked = interval(block=4)
    assert blocked[0] == pytest.approx(blocked[1])


def test_models_scored_on_other_slices_cannot_be_paired():
    best = with_slices("best", confusions_with_errors([0] * 3), [1, 2, 3])
    for slices, errors in (([1, 2, 4], [1] * 3), ([1, 2], [1] * 2)):
        other = with_slices("other", confusions_with_errors(errors), slices)
        with pytest.raises(ValueError, match="metrics.csv of other and best hold different"):
            scores.paired_differences({"best": best, "other": other}, "best", SETTINGS)


def test_the_comparison_table_joins_the_differences_to_every_other_model():
    slices = list(range(6))
    models = {
        name: with_slices(name, confusions_with_errors([e] * 6), slices)
        for name, e in (("mid", 10), ("top", 0), ("low", 40))
    }
    table = scores.comparison_table(models, SETTINGS)
    assert table["model"].tolist() == ["top", "mid", "low"]
    assert np.isnan(table.loc[0, "diff_mean_iou"])
    accuracy = table["test_accuracy"]
    np.testing.assert_allclose(table["diff_accuracy"][1:], accuracy[0] - accuracy[1:])


def test_a_model_without_optional_scores_gets_nan_and_empty_text_not_none():
    bare = model("bare", {"test": {}}, devices={"train": None, "evaluate": None})
    del bare.summary["arch"]
    row = scores.score_table({"bare": bare}).iloc[0]
    for column in (
        "test_accuracy",
        "test_mean_iou_ci_low",
        "test_slices",
        "train_seconds",
        "inference_seconds_per_slice",
    ):
        assert np.isnan(row[column]), column
    assert (row["arch"], row["train_device"], row["evaluate_device"]) == ("", "", "")
    long = scores.split_scores({"bare": model("bare", {"test": {"accuracy": 0.5}})})
    assert long["model"].tolist() == ["bare", "bare"]
    assert np.isnan(long["value"][1]) and np.isnan(long["ci_low"][0])
    assert np.isnan(long["ci_high"][0])
    unscored = scores.split_scores({"m": model("m", {"test": {"n_slices": 3}})})
    assert unscored["value"].dtype == np.float64 and unscored["value"].isna().all()
    iou = scores.per_class_scores({"bare": bare})
    assert iou["model"].tolist() == ["bare", "bare"] and np.isnan(iou["value"][0])
    assert scores.per_class_scores({}).columns.tolist() == ["model", "class", "value"]


def test_one_model_has_a_comparison_table_with_empty_differences():
    alone = with_slices("alone", confusions_with_errors([1, 2]), [0, 1])
    table = scores.comparison_table({"alone": alone}, SETTINGS)
    assert table["model"].tolist() == ["alone"]
    assert np.isnan(table.loc[0, "diff_mean_iou"]) and np.isnan(table.loc[0, "diff_accuracy"])


def test_errors_name_the_models_and_the_missing_columns():
    best = with_slices("best", confusions_with_errors([0] * 3), [1, 2, 3])
    other = with_slices("other", confusions_with_errors([1] * 3), [1, 2, 4])
    with pytest.raises(ValueError, match="hold different test slices; rerun evaluate for both$"):
        scores.paired_differences({"best": best, "other": other}, "best", SETTINGS)
    best.metrics = best.metrics[["split", "slice"]]
    message = r"missing confusion columns \['count_a_as_a', 'count_a_as_b', 'count_b_as_a'\]\.\.\.$"
    with pytest.raises(ValueError, match=message):
        scores.test_slice_confusions(best)
