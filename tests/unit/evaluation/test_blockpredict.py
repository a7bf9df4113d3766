"""Which splits evaluation predicts as whole blocks, and what it gives them."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from unit.evaluation.test_evaluate import (  # the same tiny volume and checkpoints
    MICROSTRUCTURE,
    SETTINGS,
    SPLITS,
    blob_labels,
    context_unet_checkpoint,
    output_paths,
    scoring,
    threshold_checkpoint,
)

from xrayseg.evaluation.blockpredict import BlockPlan, block_plans, plan_units, predicted_slices
from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.inference.predictor import Predictor
from xrayseg.models.checkpoint import load_checkpoint

BLOCKS = {"train": list(range(0, 10)), "val": [12, 13, 14], "test": [17, 18, 19, 20]}


@pytest.fixture(scope="module")
def evaluation_volume(tmp_path_factory):
    """volume.h5 whose grey value gives the class away (as test_evaluate's), and split.csv."""
    folder = tmp_path_factory.mktemp("block_data")
    labels = blob_labels(0)
    raw = (labels / 2 + np.random.default_rng(1).normal(0, 0.03, labels.shape)).astype(np.float32)
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"] = raw
        volume["labels"] = labels
    frame = pd.DataFrame({"slice": range(len(SPLITS)), "split": SPLITS})
    frame["name"] = [f"s{i}" for i in frame["slice"]]
    frame.to_csv(folder / "split.csv", index=False)
    return folder, raw, labels


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_options_apply_to_blocks_scored_whole_and_train_subsets_stay_along_z():
    scored = {**BLOCKS, "train": [1, 5, 8]}
    plans = block_plans(BLOCKS, scored, ["z", "y", "x"], 1.5)
    assert plans["test"] == plans["val"]
    assert plans["test"].axes == ("z", "y", "x") and plans["test"].smooth_sigma == 1.5
    assert plans["test"].whole_block
    assert plans["train"].axes == ("z",) and plans["train"].smooth_sigma == 0
    assert not plans["train"].whole_block and "3 of 10 slices" in plans["train"].why
    every_train = block_plans(BLOCKS, BLOCKS, ["z", "x"], 0)
    assert every_train["train"].whole_block and every_train["train"].axes == ("z", "x")


def test_along_z_without_smoothing_every_block_goes_slice_by_slice():
    plans = block_plans(BLOCKS, BLOCKS, ["z"], 0)
    assert all(p.axes == ("z",) and not p.whole_block for p in plans.values())
    volumes = block_plans(BLOCKS, {**BLOCKS, "train": [3]}, ["z"], 0, predicts_volumes=True)
    assert all(p.whole_block for p in volumes.values())


def test_any_smoothing_alone_asks_for_the_whole_block():
    plans = block_plans(BLOCKS, BLOCKS, ["z"], 0.5)
    assert all(p.whole_block and p.smooth_sigma == 0.5 for p in plans.values())


def test_a_3d_model_predicts_along_z_without_smoothing_whatever_is_asked():
    plans = block_plans(BLOCKS, {**BLOCKS, "train": [3]}, ["z", "y", "x"], 1.5, True)
    for plan in plans.values():
        assert plan.record() == {
            "axes": ["z"],
            "smooth_sigma": 0.0,
            "whole_block": True,
            "why": plan.why,
        }
        assert plan.why.startswith("a 3-D model predicts the block as a volume")


def test_each_plan_records_why_for_summary_json():
    scored = {**BLOCKS, "train": [1, 5, 8]}
    asked = block_plans(BLOCKS, scored, ["z", "y"], 0)
    # The sentence starts with its cause, and says what follows from it.
    assert asked["test"].why == "every slice scored"
    train = asked["train"].record()
    assert train["whole_block"] is False and train["axes"] == ["z"]
    assert train["why"].startswith("3 of 10 slices scored: each predicted alone along z, without")
    assert train["why"].endswith("smoothing need the whole block)")
    along_z = block_plans(BLOCKS, BLOCKS, ["z"], 0)
    assert along_z["test"].why.startswith("axes [z], no smoothing: slice by slice")
    json.dumps({split: plan.record() for split, plan in asked.items()})


def test_a_whole_block_counts_one_unit_per_scored_slice_and_axis():
    whole = BlockPlan(("z", "y", "x"), 0.0, True, "every slice scored")
    alone = BlockPlan(("z",), 0.0, False, "3 of 10 slices scored")
    assert plan_units(whole, 4) == 12
    assert plan_units(alone, 4) == 4


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="evaluate.axes"):
        block_plans(BLOCKS, BLOCKS, ["z", "q"], 0)
    with pytest.raises(ValueError, match="evaluate.smooth_sigma"):
        block_plans(BLOCKS, BLOCKS, ["z"], -0.5)


def test_a_block_predicted_whole_along_z_matches_slice_by_slice(evaluation_volume, tmp_path):
    folder = evaluation_volume[0]
    predictor = Predictor(
        load_checkpoint(context_unet_checkpoint(tmp_path)),
        "cpu",
        SETTINGS.inference,
    )
    block = [9, 10, 11]
    with h5py.File(folder / "volume.h5") as volume:
        alone, whole = (
            list(
                predicted_slices(
                    predictor, volume["raw"], block, block, BlockPlan(("z",), 0.0, at_once, "")
                )
            )
            for at_once in (False, True)
        )
    for one, other in zip(alone, whole, strict=True):
        assert one.slice == other.slice
        np.testing.assert_array_equal(one.classes, other.classes)
        np.testing.assert_allclose(one.probabilities, other.probabilities, atol=1e-6)


def test_a_pointwise_model_scores_the_same_along_every_axis(evaluation_volume, tmp_path):
    folder = evaluation_volume[0]
    runs = {}
    for name, options in {"z": {}, "zyx": {"axes": ["z", "y", "x"]}}.items():
        out = tmp_path / name
        out.mkdir()
        outputs = output_paths(out)
        evaluate_model(
            threshold_checkpoint(out),
            folder / "volume.h5",
            folder / "split.csv",
            scoring(microstructure=MICROSTRUCTURE, **options),
            outputs,
        )
        runs[name] = outputs
    pd.testing.assert_frame_equal(
        pd.read_csv(runs["z"]["metrics"]), pd.read_csv(runs["zyx"]["metrics"])
    )
    summary = json.loads(runs["zyx"]["summary"].read_text())
    assert summary["prediction"]["test"]["axes"] == ["z", "y", "x"]
    assert summary["prediction"]["test"]["whole_block"]
    plain = json.loads(runs["z"]["summary"].read_text())
    assert plain["prediction"]["test"] == {
        "axes": ["z"],
        "smooth_sigma": 0.0,
        "whole_block": False,
        "why": "axes [z], no smoothing: slice by slice",
    }


def test_block_predictions_never_read_outside_their_block(evaluation_volume, tmp_path):
    # Every slice outside the split blocks (the guard slices) is NaN: a plane, a 2.5-D
    # neighbour or a smoothing window that reached one would make probabilities NaN.
    folder, raw, labels = evaluation_volume
    guarded = raw.copy()
    guarded[[5, 8]] = np.nan
    with h5py.File(tmp_path / "volume.h5", "w") as volume:
        volume["raw"] = guarded
        volume["labels"] = labels
    outputs = output_paths(tmp_path, probabilities=True)
    evaluate_model(
        context_unet_checkpoint(tmp_path),
        tmp_path / "volume.h5",
        folder / "split.csv",
        scoring(
            axes=["z", "y", "x"],
            smooth_sigma=2.0,
            save_probabilities=True,
            microstructure=MICROSTRUCTURE,
        ),
        outputs,
    )
    with h5py.File(outputs["probabilities"]) as saved:
        probabilities = np.asarray(saved["probabilities"], dtype=np.float32)
    assert probabilities.shape[0] == 3 and np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=2e-3)  # stored as float16
