"""The report's tables and figures show the numbers of scores.csv and the evaluation's files.

Two models are evaluated here on hand-made label maps with the evaluation's own scoring
(score_slice, slice_row, pooled_scores); every expectation is counted again from the label maps
with plain numpy, so a table or figure that drifts from the data fails.
"""

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest

from xrayseg.evaluation.slicescores import pooled_scores, score_slice, slice_row
from xrayseg.report import figures, inputs, scores, tables
from xrayseg.report.style import model_palette

matplotlib.use("Agg")

CLASSES = ["pore", "YSZ", "Ni"]
SLICES = {"train": range(0, 4), "test": range(6, 10)}
# Share of pixels each model gets wrong, per split: "rough" overfits (a large train-test gap).
ERROR_RATES = {"sharp": {"train": 0.04, "test": 0.06}, "rough": {"train": 0.02, "test": 0.3}}
SETTINGS = {"n_resamples": 200, "confidence": 0.9, "seed": 0, "block": 1}


def label_maps(seed=0, side=12):
    rng = np.random.default_rng(seed)
    return {
        z: rng.choice(3, size=(side, side), p=[0.2, 0.5, 0.3])
        for block in SLICES.values()
        for z in block
    }


def predictions_of(labels, error_rates, seed):
    """Labels with about `error_rate` of each slice's pixels moved to the next class."""
    rng = np.random.default_rng(seed)
    predicted = {}
    for split, block in SLICES.items():
        for z in block:
            wrong = rng.random(labels[z].shape) < error_rates[split]
            predicted[z] = np.where(wrong, (labels[z] + 1) % 3, labels[z])
    return predicted


def evaluated(name, labels, predicted):
    """ModelResults as evaluate's files would give them: metrics.csv rows, summary.json's pooled
    scores per split, confusion.csv's long table of pooled counts."""
    results = {
        split: [score_slice(split, z, labels[z], predicted[z], 3, 1.0, 0.0) for z in block]
        for split, block in SLICES.items()
    }
    rows = [slice_row(r, CLASSES) for split in results.values() for r in split]
    splits = {split: pooled_scores(found, CLASSES, 200, 0.9, 0) for split, found in results.items()}
    confusion = []
    for split, found in results.items():
        pooled = sum(r.confusion for r in found)
        for t, true in enumerate(CLASSES):
            for p, pred in enumerate(CLASSES):
                confusion.append((split, true, pred, int(pooled[t, p])))
    return inputs.ModelResults(
        name=name,
        summary={
            "arch": "unet",
            "class_names": CLASSES,
            "parameters": 1,
            "splits": splits,
            "train_device": "cpu",
            "device": "cpu",
        },
        metrics=pd.DataFrame(rows),
        confusion=pd.DataFrame(confusion, columns=["split", "true", "predicted", "count"]),
        history=pd.DataFrame({"step": [0]}),
        predictions=None,
    )


@pytest.fixture(scope="module")
def run():
    """Labels, predictions, the models and scores.csv as the report writes and reads it."""
    labels = label_maps()
    predicted = {
        name: predictions_of(labels, rates, seed)
        for seed, (name, rates) in enumerate(ERROR_RATES.items())
    }
    models = {name: evaluated(name, labels, predicted[name]) for name in ERROR_RATES}
    text = io.StringIO()
    scores.comparison_table(models, SETTINGS).to_csv(text, index=False)
    scores_csv = pd.read_csv(io.StringIO(text.getvalue())).set_index("model")
    return {"labels": labels, "predicted": predicted, "models": models, "csv": scores_csv}


def pixels(run, name, split):
    """(labels, predictions) of one model over a split's slices, flattened."""
    block = SLICES[split]
    true = np.concatenate([run["labels"][z].ravel() for z in block])
    pred = np.concatenate([run["predicted"][name][z].ravel() for z in block])
    return true, pred


def accuracy(run, name, split):
    true, pred = pixels(run, name, split)
    return np.mean(true == pred)


def class_iou(run, name, split, c):
    true, pred = pixels(run, name, split)
    return np.sum((true == c) & (pred == c)) / np.sum((true == c) | (pred == c))


def test_scores_csv_holds_the_pooled_scores_and_a_positive_gap_for_an_overfit_model(run):
    csv = run["csv"]
    assert csv.index.tolist() == ["sharp", "rough"]  # best first
    for name in ERROR_RATES:
        test, train = accuracy(run, name, "test"), accuracy(run, name, "train")
        assert csv.loc[name, "test_accuracy"] == pytest.approx(test)
        assert csv.loc[name, "train_accuracy"] == pytest.approx(train)
        mean_iou = np.mean([class_iou(run, name, "test", c) for c in range(3)])
        assert csv.loc[name, "test_mean_iou"] == pytest.approx(mean_iou)
        # Train minus test: positive when a model does better on the slices it learnt from.
        assert csv.loc[name, "gap_accuracy"] == pytest.approx(train - test)
    assert csv.loc["rough", "gap_accuracy"] > 0.2
    assert csv.loc["rough", "gap_mean_iou"] > 0.2


def test_the_score_table_shows_the_csv_values_and_the_gap_with_its_sign(run):
    comparison = run["csv"].reset_index()
    rows = tables.score_rows(comparison)
    header = tables.score_header()
    for row, (_, expected) in zip(rows, comparison.iterrows(), strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["model"].endswith(expected["model"])
        assert cells["test mean IoU [CI]"].startswith(f"{expected['test_mean_iou']:.3f}\n[")
        assert cells["test accuracy [CI]"] == (
            f"{expected['test_accuracy']:.3f}\n"
            f"[{expected['test_accuracy_ci_low']:.3f}, {expected['test_accuracy_ci_high']:.3f}]"
        )
        assert cells["train accuracy"] == f"{expected['train_accuracy']:.3f}"
        gap = accuracy(run, expected["model"], "train") - accuracy(run, expected["model"], "test")
        assert float(cells["train − test accuracy (gap, pp)"]) == pytest.approx(100 * gap, abs=0.01)
    assert rows[1][header.index("train − test accuracy (gap, pp)")].startswith("+")


def test_split_scores_and_their_figure_show_the_csv_values(run):
    csv = run["csv"]
    long = scores.split_scores(run["models"])
    for name in ERROR_RATES:
        for split in SLICES:
            row = long[(long["model"] == name) & (long["split"] == split)]
            assert row["score"].tolist() == ["accuracy", "mean_iou"]
            value = row.set_index("score")["value"]
            assert value["accuracy"] == pytest.approx(accuracy(run, name, split))
            assert value["mean_iou"] == pytest.approx(csv.loc[name, f"{split}_mean_iou"])
        test = long[(long["model"] == name) & (long["split"] == "test")].set_index("score")
        for score in ("accuracy", "mean_iou"):
            assert test.loc[score, "ci_low"] == pytest.approx(csv.loc[name, f"test_{score}_ci_low"])
            assert test.loc[score, "ci_high"] == pytest.approx(
                csv.loc[name, f"test_{score}_ci_high"]
            )
    figure = figures.scores_figure(long, csv.reset_index(), 0.9)
    for axis, score in zip(figure.axes[:2], ("accuracy", "mean_iou"), strict=True):
        drawn = {c.get_label(): c.lines[0].get_ydata() for c in axis.containers}
        drawn = {label: np.asarray(y, dtype=float) for label, y in drawn.items()}
        for split in SLICES:
            expected = [csv.loc[m, f"{split}_{score}"] for m in csv.index]
            np.testing.assert_allclose(drawn[split], expected)
    difference = np.asarray(figure.axes[2].containers[0].lines[0].get_xdata(), dtype=float)
    # In percentage points.
    np.testing.assert_allclose(difference, [100 * csv.loc["rough", "diff_mean_iou"]])
    matplotlib.pyplot.close(figure)


def test_per_class_scores_their_table_and_figure_show_each_class(run):
    iou = scores.per_class_scores(run["models"], "iou")
    assert iou["class"].tolist() == CLASSES * 2
    for _, row in iou.iterrows():
        c = CLASSES.index(row["class"])
        assert row["value"] == pytest.approx(class_iou(run, row["model"], "test", c))
    html = tables.per_class_table_html(iou)
    for _, row in iou.iterrows():
        assert f"{row['value']:.3f}" in html
    boundary = scores.per_class_scores(run["models"], "boundary_f1")
    figure = figures.per_class_figure(iou, boundary, model_palette(list(ERROR_RATES)))
    heights = sorted(bar.get_height() for bar in figure.axes[0].patches if bar.get_height() > 0)
    np.testing.assert_allclose(heights, sorted(iou["value"]))
    matplotlib.pyplot.close(figure)


def test_confusion_matrices_are_the_test_counts_normalised_per_true_class(run):
    matrices = figures.confusion_matrices(run["models"])
    for name, matrix in matrices.items():
        true, pred = pixels(run, name, "test")
        assert matrix.index.tolist() == CLASSES and matrix.columns.tolist() == CLASSES
        for t in range(3):
            for p in range(3):
                expected = np.sum((true == t) & (pred == p)) / np.sum(true == t)
                assert matrix.iloc[t, p] == pytest.approx(expected)
            # The diagonal is each class's recall, as summary.json has it.
            recall = run["models"][name].summary["splits"]["test"][f"recall_{CLASSES[t]}"]
            assert matrix.iloc[t, t] == pytest.approx(recall)
    figure = figures.confusion_figure(run["models"])
    for axis, (name, matrix) in zip(figure.axes, matrices.items(), strict=True):
        assert axis.get_title() == name
        shown = [text.get_text() for text in axis.texts]
        assert shown == [f"{value:.1%}" for value in matrix.to_numpy().ravel()]
    matplotlib.pyplot.close(figure)


def test_fraction_points_are_each_test_slices_true_and_predicted_fractions(run):
    points = figures.fraction_points(run["models"])
    assert len(points) == len(ERROR_RATES) * len(CLASSES) * len(SLICES["test"])
    for _, row in points.iterrows():
        c = CLASSES.index(row["class"])
        z = row["slice"]
        assert z in SLICES["test"]
        assert row["true"] == pytest.approx(np.mean(run["labels"][z] == c))
        assert row["predicted"] == pytest.approx(np.mean(run["predicted"][row["model"]][z] == c))
    figure = figures.fractions_figure(run["models"], model_palette(list(ERROR_RATES)))
    for axis, class_name in zip(figure.axes, CLASSES, strict=True):
        drawn = np.concatenate([c.get_offsets() for c in axis.collections])
        rows = points[points["class"] == class_name]
        np.testing.assert_allclose(
            sorted(map(tuple, drawn)), sorted(zip(rows["true"], rows["predicted"], strict=True))
        )
    matplotlib.pyplot.close(figure)
