"""evaluate_model with a clean-up to choose: a threshold model whose noise makes specks, on a
volume whose val and test blocks are thick enough for a 3-D clean-up."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from helpers.evaluation import evaluate_settings, evaluation_outputs
from xrayseg.cleanup.candidates import Cleanup
from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.evaluation.metrics import accuracy_and_mean_iou, confusion_matrix
from xrayseg.models.checkpoint import save_checkpoint

CLASS_NAMES = ["pore", "YSZ", "Ni"]
LABEL_VALUES = [0, 128, 255]
SPLITS = ["train"] * 6 + ["guard"] + ["val"] * 6 + ["guard"] + ["test"] * 6
SHAPE = (len(SPLITS), 32, 32)
TEST = [z for z, split in enumerate(SPLITS) if split == "test"]
THRESHOLDS = [0.25, 0.75]  # halfway between the classes' grey values 0, 0.5, 1
CANDIDATES = [{}, {"majority": 3}, {"min_island": 4}]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The evaluation's outputs, the labels and the threshold model's own class maps."""
    folder = tmp_path_factory.mktemp("cleanup_eval")
    field = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=SHAPE), 2.5)
    labels = np.digitize(field, np.percentile(field, [33, 66])).astype(np.uint8)
    # White noise: about 1 % of the pixels cross a threshold, alone (specks).
    raw = (labels / 2 + np.random.default_rng(1).normal(0, 0.1, SHAPE)).astype(np.float32)
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"], volume["labels"] = raw, labels
    names = [f"s{i}" for i in range(len(SPLITS))]
    pd.DataFrame({"slice": range(len(SPLITS)), "name": names, "split": SPLITS}).to_csv(
        folder / "split.csv", index=False
    )
    checkpoint = checkpoint_of(
        "threshold",
        {"thresholds": THRESHOLDS, "order": [0, 1, 2]},
        class_names=CLASS_NAMES,
        label_values=LABEL_VALUES,
        parameters=2,
    )
    save_checkpoint(checkpoint, folder / "threshold.pt")
    outputs = evaluation_outputs(folder / "eval", probabilities=True)
    settings = evaluate_settings(
        microstructure={"roles": {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}},
        cleanup={"candidates": CANDIDATES},
        train_slices=3,
        save_probabilities=True,
    )
    evaluate_model(
        folder / "threshold.pt", folder / "volume.h5", folder / "split.csv", settings, outputs
    )
    own = np.digitize(raw, THRESHOLDS).astype(np.uint8)
    return outputs, labels, own


def summary_of(outputs):
    return json.loads(outputs["summary"].read_text())


def test_a_clean_up_is_chosen_on_val_and_the_test_predictions_are_cleaned(run):
    outputs, _, own = run
    record = summary_of(outputs)["cleanup"]
    chosen = Cleanup.from_record(record["chosen"])
    assert not chosen.is_none
    assert [c["name"] for c in record["candidates"]] == ["none", "majority 3", "islands < 4"]
    assert record["val_slices"] == [7, 12] and record["cleaned"] == ["val", "test"]
    classes = np.searchsorted(LABEL_VALUES, tifffile.imread(outputs["predictions"]))
    np.testing.assert_array_equal(classes, chosen.apply(own[TEST[0] : TEST[-1] + 1], 3))


def test_cleanup_json_holds_the_choice_for_predict(run):
    outputs, _, _ = run
    record = summary_of(outputs)["cleanup"]
    saved = json.loads(outputs["cleanup"].read_text())
    assert saved == {**record["chosen"], "model": "threshold", "why": record["why"]}
    assert Cleanup.from_record(saved).record() == record["chosen"]


def test_the_test_scores_before_and_after_are_those_of_the_maps_before_and_after(run):
    outputs, labels, own = run
    summary = summary_of(outputs)
    test = summary["cleanup"]["test"]
    before = sum(confusion_matrix(labels[z], own[z], 3) for z in TEST)
    assert test["before"]["accuracy"] == pytest.approx(accuracy_and_mean_iou(before)[0])
    assert test["before"]["accuracy"] < test["after"]["accuracy"]
    # After is what every other output holds: the headline scores and microstructure.csv.
    assert test["after"]["accuracy"] == pytest.approx(summary["splits"]["test"]["accuracy"])
    assert test["after"]["mean_iou"] == pytest.approx(summary["splits"]["test"]["mean_iou"])
    table = pd.read_csv(outputs["microstructure"]).set_index(["metric", "phases"])
    tpb = table.loc[("tpb_density", "pore/YSZ/Ni"), "relative_error"]
    assert test["after"]["tpb_relative_error"] == pytest.approx(tpb)
    assert abs(test["after"]["tpb_relative_error"]) < abs(test["before"]["tpb_relative_error"])


def test_train_scored_on_a_subset_is_not_cleaned_and_says_why(run):
    outputs, labels, own = run
    summary = summary_of(outputs)
    assert summary["cleanup"]["not_cleaned"]["train"].startswith(
        "3 of the train block's 6 slices are scored"
    )
    metrics = pd.read_csv(outputs["metrics"])
    for _, row in metrics[metrics["split"] == "train"].iterrows():
        z = int(row["slice"])
        assert row["accuracy"] == pytest.approx(np.mean(own[z] == labels[z]))


def test_the_probabilities_stay_the_models_own(run):
    outputs, _, own = run
    with h5py.File(outputs["probabilities"], "r") as saved:
        argmax = saved["probabilities"][:].argmax(axis=1)
    np.testing.assert_array_equal(argmax, own[TEST[0] : TEST[-1] + 1])
