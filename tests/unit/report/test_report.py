"""Unit tests of the comparison report's pure parts: scores, paired differences, slice picks,
prediction stacks, devices and formatting."""

import numpy as np
import pandas as pd
import pytest
import tifffile

from xrayseg.evaluation.metrics import accuracy_and_mean_iou
from xrayseg.io.labelfiles import write_class_stack
from xrayseg.report import comparepanels, inputs, scores, verdict
from xrayseg.report.build import per_model_paths
from xrayseg.report.page import duration, with_interval
from xrayseg.report.provenance import provenance
from xrayseg.report.tables import microstructure_table_html

CLASSES = ["pore", "YSZ", "Ni"]


def slice_rows(confusions, split="test", first_slice=0):
    """metrics.csv rows (split, slice, accuracy, mean_iou, count_*) of per-slice confusions."""
    rows = []
    for offset, confusion in enumerate(confusions):
        accuracy, mean_iou = accuracy_and_mean_iou(confusion)
        row = {
            "split": split,
            "slice": first_slice + offset,
            "accuracy": float(accuracy),
            "mean_iou": float(mean_iou),
        }
        for t, true in enumerate(CLASSES):
            for p, pred in enumerate(CLASSES):
                row[f"count_{true}_as_{pred}"] = int(confusion[t, p])
        rows.append(row)
    return rows


def fake_model(name, confusions, first_slice=0):
    """ModelResults whose test scores come from the given per-slice confusion matrices."""
    metrics = pd.DataFrame(slice_rows(confusions, first_slice=first_slice))
    pooled = np.sum(confusions, axis=0)
    accuracy, mean_iou = accuracy_and_mean_iou(pooled)
    test = {"accuracy": float(accuracy), "mean_iou": float(mean_iou), "n_slices": len(confusions)}
    return inputs.ModelResults(
        name=name,
        summary={
            "arch": name,
            "class_names": CLASSES,
            "parameters": 10,
            "splits": {"test": test},
            "train_device": "cpu",
            "device": "cpu",
        },
        metrics=metrics,
        confusion=pd.DataFrame(columns=["split", "true", "predicted", "count"]),
        history=pd.DataFrame({"step": [0]}),
        predictions=None,
    )


def noisy_confusions(n_slices, error_rate, seed):
    """Per-slice confusions of 1000 pixels per class with about `error_rate` of them wrong."""
    rng = np.random.default_rng(seed)
    confusions = []
    for _ in range(n_slices):
        matrix = np.zeros((3, 3), dtype=np.int64)
        for t in range(3):
            wrong = rng.binomial(1000, error_rate)
            matrix[t, t] = 1000 - wrong
            matrix[t, (t + 1) % 3] = wrong
        confusions.append(matrix)
    return np.array(confusions)


SETTINGS = {"n_resamples": 500, "confidence": 0.95, "seed": 0, "block": 1}


def test_a_clearly_better_model_leads_with_an_interval_above_zero():
    models = {
        "weak": fake_model("weak", noisy_confusions(12, 0.20, seed=1)),
        "strong": fake_model("strong", noisy_confusions(12, 0.05, seed=2)),
    }
    table = scores.comparison_table(models, SETTINGS)
    assert table["model"].tolist() == ["strong", "weak"]
    assert table["rank"].tolist() == [1, 2]
    weak = table.iloc[1]
    assert weak["diff_mean_iou_ci_low"] > 0
    assert weak["diff_mean_iou_ci_low"] <= weak["diff_mean_iou"] <= weak["diff_mean_iou_ci_high"]
    expected = table.iloc[0]["test_mean_iou"] - weak["test_mean_iou"]
    assert weak["diff_mean_iou"] == pytest.approx(expected)
    assert np.isnan(table.iloc[0]["diff_mean_iou"])
    assert verdict.tied_with_best(table) == []


def test_equal_models_are_not_called_different():
    confusions = noisy_confusions(10, 0.1, seed=3)
    same = confusions.copy()
    # Swap which slices are worse, so the pooled scores match but slices differ.
    same[[0, 1]] = same[[1, 0]]
    models = {"a": fake_model("a", confusions), "b": fake_model("b", same)}
    table = scores.comparison_table(models, SETTINGS)
    row = table.iloc[1]
    assert row["diff_mean_iou"] == pytest.approx(0, abs=1e-12)
    assert row["diff_mean_iou_ci_low"] < 0 < row["diff_mean_iou_ci_high"]
    assert verdict.tied_with_best(table) == [row["model"]]


def test_identical_predictions_give_a_zero_width_paired_interval():
    confusions = noisy_confusions(8, 0.1, seed=4)
    models = {"a": fake_model("a", confusions), "b": fake_model("b", confusions)}
    row = scores.paired_differences(models, "a", SETTINGS).iloc[0]
    assert row["diff_mean_iou_ci_low"] == row["diff_mean_iou_ci_high"] == 0


def test_models_scored_on_different_test_slices_are_an_error():
    models = {
        "a": fake_model("a", noisy_confusions(5, 0.1, seed=5)),
        "b": fake_model("b", noisy_confusions(5, 0.1, seed=6), first_slice=3),
    }
    with pytest.raises(ValueError, match="different test slices"):
        scores.paired_differences(models, "a", SETTINGS)


def test_ties_in_mean_iou_are_broken_by_accuracy():
    a = fake_model("a", noisy_confusions(4, 0.1, seed=7))
    b = fake_model("b", noisy_confusions(4, 0.1, seed=7))
    a.summary["splits"]["test"]["accuracy"] -= 0.01
    table = scores.score_table({"a": a, "b": b})
    assert table["model"].tolist() == ["b", "a"]


def test_slices_picked_for_the_comparison_panels():
    labels = np.zeros((4, 4), dtype=np.uint8)
    agree = {z: labels.copy() for z in range(5)}
    differ = {z: labels.copy() for z in range(5)}
    differ[3][:2] = 1  # the models disagree on half of slice 3
    accuracy = {0: 0.9, 1: 0.5, 2: 0.95, 3: 0.6, 4: 0.8}
    # A 5-slice block keeps picks at least 1 apart: worst, most disagreement, median.
    picks = comparepanels.pick_slices(accuracy, {"a": agree, "b": differ})
    assert [z for z, _ in picks] == [1, 3, 4]
    assert "disagree most (50.0% of pixels)" in picks[1][1]
    assert picks[2][1] == "the best model's median test slice"
    # One slice: one pick, never the same slice twice.
    picks = comparepanels.pick_slices({0: 0.5}, {"a": {0: labels}})
    assert picks == [(0, "the best model's worst test slice")]


def test_picked_slices_keep_apart_as_far_as_the_block_allows():
    """Neighbouring slices look alike: on a 10-slice block the picks keep 3 slices apart, and a
    reason whose own slice is too close names the next slice far enough from the others."""
    labels = np.zeros((4, 4), dtype=np.uint8)
    slices = range(40, 50)
    agree = {z: labels.copy() for z in slices}
    differ = {z: labels.copy() for z in slices}
    for z, rows in ((46, 3), (45, 2), (41, 1)):
        differ[z][:rows] = 1  # most disagreement next to the worst slice
    accuracy = {z: 0.99 - 0.001 * abs(z - 44) for z in slices}
    accuracy[47] = 0.9  # worst
    picks = comparepanels.pick_slices(accuracy, {"a": agree, "b": differ})
    chosen = [z for z, _ in picks]
    assert chosen[0] == 47
    assert chosen[1] == 41  # 46 and 45 are within 3 slices of 47
    assert (
        "disagree most, at least 3 slices from the slices above (25.0% of pixels)" in (picks[1][1])
    )
    assert min(abs(a - b) for a in chosen for b in chosen if a != b) >= 3
    # The median slice (42) and every rank nearer it lie within 3 of 41 or 47; 44 is left.
    assert chosen[2] == 44
    assert picks[2][1].startswith("the best model's slice nearest its median, at least 3")
    assert picks[2][1].endswith("(accuracy rank 10 of 10)")


def test_slice_accuracy_leaves_ignored_pixels_out():
    labels = np.array([[0, 1], [255, 255]], dtype=np.uint8)
    predicted = np.array([[0, 2], [1, 1]], dtype=np.uint8)
    assert comparepanels.slice_accuracy(labels, predicted) == 0.5
    assert np.isnan(comparepanels.slice_accuracy(np.full((2, 2), 255), predicted))


def test_prediction_stacks_map_back_to_classes(tmp_path):
    """Stacks as evaluate writes them (io.labelfiles), grey, 16-bit and RGB, read back as
    classes."""
    maps = {5: np.array([[0, 1], [2, 0]]), 7: np.array([[1, 1], [0, 2]])}
    for values in ([0, 128, 255], [0, 1000, 2000]):
        write_class_stack(tmp_path / "grey.tif", maps, values)
        read = inputs.read_predictions(tmp_path / "grey.tif", values, [7, 5])
        assert sorted(read) == [5, 7]
        for z, expected in maps.items():
            np.testing.assert_array_equal(read[z], expected)

    colours = [[0, 0, 255], [0, 255, 0], [255, 0, 0]]
    for slices in ([3], [3, 4]):  # one RGB slice is read back without its Z axis
        maps = {z: np.array([[1, 0], [2, 1]]) for z in slices}
        write_class_stack(tmp_path / "rgb.tif", maps, colours)
        read = inputs.read_predictions(tmp_path / "rgb.tif", colours, slices)
        for z in slices:
            np.testing.assert_array_equal(read[z], maps[z])


def test_a_prediction_stack_that_does_not_fit_is_an_error_naming_it(tmp_path):
    path = tmp_path / "test_predictions.tif"
    tifffile.imwrite(path, np.zeros((2, 3, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"test_predictions.tif: 2 predicted slices.*3 test"):
        inputs.read_predictions(path, [0, 255], [1, 2, 3])
    tifffile.imwrite(path, np.full((1, 3, 3), 7, dtype=np.uint8))
    with pytest.raises(ValueError, match="values outside the label values"):
        inputs.read_predictions(path, [0, 255], [1])


def test_devices_are_read_from_the_evaluation_summary():
    model = fake_model("unet", noisy_confusions(3, 0.1, seed=0))
    model.summary.update({"train_device": "cuda", "device": "cpu"})
    assert model.devices == {"train": "cuda", "evaluate": "cpu"}
    del model.summary["train_device"], model.summary["device"]  # a summary of an older version
    assert model.devices == {"train": None, "evaluate": None}


def test_csv_without_required_columns_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("split,slice\ntest,1\n")
    with pytest.raises(ValueError, match=r"metrics.csv: missing column\(s\) \['accuracy'\]"):
        inputs.read_csv(path, ("split", "slice", "accuracy"))


def test_rule_inputs_are_regrouped_per_model():
    paths = per_model_paths(
        ["a", "b"], {"summaries": ["sa", "sb"], "histories": ["ha", "hb"], "volume": "v"}
    )
    assert paths == {
        "a": {"summary": "sa", "history": "ha"},
        "b": {"summary": "sb", "history": "hb"},
    }
    with pytest.raises(ValueError, match="report input metrics: 1 paths for 2 models"):
        per_model_paths(["a", "b"], {"metrics": ["ma"]})


def test_formatting_of_intervals_and_durations():
    assert with_interval(0.91234, 0.9, 0.92) == "0.912 [0.900, 0.920]"
    assert with_interval(0.01, -0.002, 0.02, signed=True, separator="\n") == (
        "+0.010\n[-0.002, +0.020]"
    )
    assert with_interval(0.5, float("nan"), float("nan")) == "0.500"
    assert duration(0.0153) == "15 ms"
    assert duration(4.99) == "5.0 s"
    assert duration(245) == "4 min 05 s"
    assert duration(7380) == "2 h 03 min"
    assert duration(float("nan")) == "–"


def test_provenance_says_when_the_command_was_not_recorded():
    made = provenance(None, "9.27.1", {"unet": {"train": "cpu", "evaluate": None}})
    assert made["command"].startswith("not recorded")
    assert made["versions"]["snakemake"]  # installed here, or the version passed in
    assert provenance("snakemake --cores 2", None, {})["command"] == "snakemake --cores 2"


def test_microstructure_table_bolds_the_closest_model_only_when_models_differ():
    def frame(errors):
        return pd.DataFrame(
            {
                "metric": ["volume_fraction", "tpb_density"],
                "phases": ["pore", "pore/YSZ/Ni"],
                "unit": ["1", "1/length^2"],
                "true": [0.3, 0.004],
                "predicted": [0.0, 0.0],
                "relative_error": errors,
            }
        )

    html = microstructure_table_html({"a": frame([-0.1, -1.0]), "b": frame([0.05, -1.0])}, 1.0)
    rows = html.split("<tr>")[2:]
    assert '<td class="good">+5.0 %</td>' in rows[0] and "<td>-10.0 %</td>" in rows[0]
    assert "good" not in rows[1]  # both -100 %: a tie says nothing
    assert "0.004 voxel⁻²" in rows[1]
    # With another voxel size, densities are in the length unit of that voxel size.
    html = microstructure_table_html({"a": frame([-0.1, -1.0])}, 0.5)
    assert "0.004 L⁻²" in html.split("<tr>")[3]
