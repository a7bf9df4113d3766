"""evaluate_model on a tiny volume, called directly (no Snakemake): every output and contract."""

import json
import logging

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
import torch
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from helpers.evaluation import evaluate_settings, evaluation_outputs
from xrayseg.data.context import context_stack
from xrayseg.evaluation.evaluate import evaluate_model
from xrayseg.evaluation.subset import spread_subset
from xrayseg.inference.predictor import Predictor
from xrayseg.inference.uncertainty import softmax
from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import build_network
from xrayseg.models.checkpoint import load_checkpoint, save_checkpoint

CLASS_NAMES = ["pore", "YSZ", "Ni"]
LABEL_VALUES = [0, 128, 255]
SPLITS = ["train"] * 5 + ["guard"] + ["val"] * 2 + ["guard"] + ["test"] * 3
SHAPE = (len(SPLITS), 24, 24)


def scoring(**keys):
    """The unit tests' evaluate settings, with more resamples and `keys` over them."""
    return evaluate_settings(bootstrap_resamples=200, **keys)


SETTINGS = scoring()
ROLES = {"pore": "pore", "ysz": "YSZ", "ni": "Ni"}
MICROSTRUCTURE = {"roles": ROLES, "voxel_size": 0.5, "axis": 0}
# A test slice and the region of it under the ignore mask.
IGNORED_SLICE, IGNORED = 10, (slice(0, 5), slice(0, 24))


def blob_labels(seed):
    field = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=SHAPE), 2)
    low, high = np.percentile(field, [33, 66])
    return np.digitize(field, [low, high]).astype(np.uint8)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """volume.h5 whose raw grey value gives the class away, and split.csv."""
    folder = tmp_path_factory.mktemp("eval_data")
    labels = blob_labels(0)
    raw = (labels / 2 + np.random.default_rng(1).normal(0, 0.03, SHAPE)).astype(np.float32)
    labels[IGNORED_SLICE][IGNORED] = IGNORE_INDEX
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"] = raw
        volume["labels"] = labels
    pd.DataFrame(
        {
            "slice": range(len(SPLITS)),
            "name": [f"s{i}" for i in range(len(SPLITS))],
            "split": SPLITS,
        }
    ).to_csv(folder / "split.csv", index=False)
    return folder, raw, labels


# The header fields evaluate reports.
RECORD = {"class_names": CLASS_NAMES, "label_values": LABEL_VALUES, "parameters": 2}


def threshold_checkpoint(folder):
    # Thresholds halfway between the class grey values (0, 0.5, 1): a perfect model here.
    params = {"thresholds": [0.25, 0.75], "order": [0, 1, 2]}
    path = folder / "threshold.pt"
    save_checkpoint(checkpoint_of("threshold", params, train_seconds=1.5, **RECORD), path)
    return path


def context_unet_checkpoint(folder, **fields):
    torch.manual_seed(0)
    arch_args = {"width": 4, "depth": 2}
    network = build_network("unet", 3, 3, arch_args)
    path = folder / "unet25d.pt"
    checkpoint = checkpoint_of(
        "unet",
        network.state_dict(),
        arch_args,
        patch_size=16,
        context=1,
        model_name="unet25d",
        **{**RECORD, **fields},
    )
    save_checkpoint(checkpoint, path)
    return path


def output_paths(folder, probabilities=False):
    return evaluation_outputs(folder, uncertainty=True, probabilities=probabilities)


@pytest.fixture(scope="module")
def threshold_run(data, tmp_path_factory):
    folder, _, labels = data
    out = tmp_path_factory.mktemp("threshold_eval")
    outputs = output_paths(out)
    evaluate_model(
        threshold_checkpoint(out),
        folder / "volume.h5",
        folder / "split.csv",
        scoring(microstructure=MICROSTRUCTURE),
        outputs,
        device="cpu",
    )
    return outputs, labels


def test_a_perfect_model_scores_one_everywhere(threshold_run):
    outputs, _ = threshold_run
    summary = json.loads(outputs["summary"].read_text())
    for split in ("train", "val", "test"):
        scores = summary["splits"][split]
        for key in ("accuracy", "mean_iou", "mean_boundary_f1"):
            assert scores[key] == 1.0, (split, key)
            assert scores[f"{key}_ci_low"] == scores[f"{key}_ci_high"] == 1.0
        for name in CLASS_NAMES:
            assert scores[f"iou_{name}"] == scores[f"dice_{name}"] == 1.0
            assert scores[f"pred_fraction_{name}"] == scores[f"true_fraction_{name}"]


def test_summary_keeps_the_keys_the_report_reads(threshold_run):
    summary = json.loads(threshold_run[0]["summary"].read_text())
    for key in ("model", "arch", "parameters", "train_seconds", "class_names", "splits"):
        assert key in summary
    assert summary["model"] == "threshold" and summary["parameters"] == 2
    assert summary["inference_seconds_per_slice"] > 0
    assert summary["inference_seconds"]["slices"] == 10
    assert summary["splits"]["test"]["n_slices"] == 3
    assert set(summary["panels"]) == {"worst", "median", "best"}
    # A pixel model is fitted on the CPU; this evaluation ran on the CPU it was asked for.
    assert summary["train_device"] == "cpu" and summary["device"] == "cpu"


def test_a_network_summary_names_the_device_its_checkpoint_was_trained_on(data, tmp_path):
    folder = data[0]
    path = context_unet_checkpoint(tmp_path, device="cuda:1")
    outputs = output_paths(tmp_path)
    evaluate_model(path, folder / "volume.h5", folder / "split.csv", SETTINGS, outputs)
    summary = json.loads(outputs["summary"].read_text())
    assert summary["train_device"] == "cuda:1" and summary["device"] == "cpu"


def test_ignored_pixels_are_counted_apart_and_scored_nowhere(threshold_run):
    outputs, labels = threshold_run
    metrics = pd.read_csv(outputs["metrics"])
    row = metrics.set_index("slice").loc[IGNORED_SLICE]
    ignored = (labels[IGNORED_SLICE] == IGNORE_INDEX).sum()
    assert ignored == 5 * 24 and row["n_ignored"] == ignored
    assert row["n_pixels"] == 24 * 24 - ignored
    confusion = pd.read_csv(outputs["confusion"])
    test_pixels = 3 * 24 * 24 - ignored
    assert confusion.loc[confusion["split"] == "test", "count"].sum() == test_pixels


def test_every_slice_of_every_split_has_a_row_whose_counts_add_up(threshold_run):
    outputs, labels = threshold_run
    metrics = pd.read_csv(outputs["metrics"])
    assert "seconds" not in metrics  # timings vary between runs; the table must not
    expected = [(s, z) for z, s in enumerate(SPLITS) if s != "guard"]
    assert sorted(zip(metrics["split"], metrics["slice"], strict=True)) == sorted(expected)
    counts = [c for c in metrics.columns if c.startswith("count_")]
    assert len(counts) == 9
    confusion = pd.read_csv(outputs["confusion"])
    train_rows = metrics[metrics["split"] == "train"]
    for _, cell in confusion[confusion["split"] == "train"].iterrows():
        column = f"count_{cell['true']}_as_{cell['predicted']}"
        assert train_rows[column].sum() == cell["count"]


def test_predictions_are_label_values_in_a_stack_of_test_slices(threshold_run):
    outputs, labels = threshold_run
    stack = tifffile.imread(outputs["predictions"])
    assert stack.dtype == np.uint8 and stack.shape == (3, 24, 24)
    test = [z for z, s in enumerate(SPLITS) if s == "test"]
    truth = labels[test]
    scored = truth != IGNORE_INDEX
    np.testing.assert_array_equal(stack[scored], np.asarray(LABEL_VALUES)[truth[scored]])


def test_a_perfect_model_gets_the_true_microstructure_of_the_test_block(threshold_run):
    outputs, labels = threshold_run
    table = pd.read_csv(outputs["microstructure"])
    assert list(table.columns) == [
        "metric",
        "phases",
        "unit",
        "true",
        "predicted",
        "relative_error",
    ]
    assert set(table.metric) == {
        "volume_fraction",
        "connected_fraction",
        "interface_density",
        "tpb_density",
    }
    # The test block (slices 9-11) with its ignored pixels left out, classes named as configured.
    test_block = labels[9:12]
    counted = test_block[test_block != IGNORE_INDEX]
    fractions = table[table.metric == "volume_fraction"].set_index("phases")["true"]
    assert list(fractions.index) == CLASS_NAMES
    np.testing.assert_allclose(fractions, np.bincount(counted, minlength=3) / counted.size)
    np.testing.assert_array_equal(table["true"], table["predicted"])
    assert (table["relative_error"].dropna() == 0).all()
    assert table.loc[table.metric == "tpb_density", "true"].item() > 0
    summary = json.loads(outputs["summary"].read_text())["microstructure"]
    assert summary["test_slices"] == [9, 11] and summary["voxel_size"] == 0.5
    assert summary["relative_error"]["tpb_density"] == {"pore/YSZ/Ni": 0.0}


def test_panels_are_pngs(threshold_run):
    for key in ("panel", "panel_worst", "panel_best"):
        assert threshold_run[0][key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def unet_run(data, tmp_path_factory):
    folder, _, _ = data
    out = tmp_path_factory.mktemp("unet_eval")
    outputs = output_paths(out, probabilities=True)
    evaluate_model(
        context_unet_checkpoint(out),
        folder / "volume.h5",
        folder / "split.csv",
        # train_slices None: every train slice scored.
        scoring(save_probabilities=True, flip_tta=True, train_slices=None),
        outputs,
        device="cpu",
    )
    return outputs


def test_an_untrained_network_gets_honest_intervals(unet_run):
    summary = json.loads(unet_run["summary"].read_text())
    assert summary["context"] == 1 and summary["inference"]["window_px"] == [16, 16]
    assert summary["inference"]["flip_tta"] is True
    for scores in summary["splits"].values():
        for key in ("accuracy", "mean_iou"):
            assert scores[f"{key}_ci_low"] <= scores[key] <= scores[f"{key}_ci_high"]
        assert scores["accuracy"] < 1


def test_without_microstructure_settings_there_are_no_roles_and_no_tpb(unet_run):
    table = pd.read_csv(unet_run["microstructure"])
    assert "tpb_density" not in set(table.metric)
    assert set(table.loc[table.metric == "volume_fraction", "phases"]) == set(CLASS_NAMES)
    assert np.isfinite(table.loc[table.metric == "volume_fraction", "relative_error"]).all()


def test_probabilities_are_saved_for_the_test_slices(unet_run):
    stack = tifffile.imread(unet_run["predictions"])
    with h5py.File(unet_run["probabilities"], "r") as saved:
        probabilities = saved["probabilities"][:].astype(np.float32)
        assert saved["slice_index"][:].tolist() == [9, 10, 11]
        assert [n.decode() for n in saved["slice_name"][:]] == ["s9", "s10", "s11"]
        assert saved.attrs["model"] == "unet25d"
        assert json.loads(saved.attrs["label_values"]) == LABEL_VALUES
    assert probabilities.shape == (3, 3, 24, 24)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=3e-3)
    from_probabilities = np.asarray(LABEL_VALUES)[probabilities.argmax(axis=1)]
    assert (from_probabilities == stack).mean() > 0.99  # float16 may flip near-ties


def test_a_split_without_slices_is_a_clear_error(data, tmp_path):
    folder = data[0]
    split = pd.read_csv(folder / "split.csv")
    split.loc[split["split"] == "val", "split"] = "guard"
    split.to_csv(tmp_path / "split.csv", index=False)
    with pytest.raises(ValueError, match="'val'"):
        evaluate_model(
            threshold_checkpoint(tmp_path),
            folder / "volume.h5",
            tmp_path / "split.csv",
            SETTINGS,
            output_paths(tmp_path),
        )


@pytest.fixture(scope="module")
def unet_subset_run(data, tmp_path_factory):
    """The 2.5-D UNet of unet_run, scoring 2 of the 5 train slices."""
    folder, _, _ = data
    out = tmp_path_factory.mktemp("unet_subset_eval")
    outputs = output_paths(out, probabilities=True)
    evaluate_model(
        context_unet_checkpoint(out),
        folder / "volume.h5",
        folder / "split.csv",
        scoring(save_probabilities=True, flip_tta=True, train_slices=2),
        outputs,
        device="cpu",
    )
    return outputs


def test_only_the_chosen_train_slices_are_scored_and_the_summary_names_them(unet_subset_run):
    metrics = pd.read_csv(unet_subset_run["metrics"])
    summary = json.loads(unet_subset_run["summary"].read_text())
    chosen = spread_subset(range(5), 2, seed=0)
    assert sorted(metrics.loc[metrics["split"] == "train", "slice"]) == chosen
    assert summary["train_slices"] == {"scored": chosen, "available": 5, "asked": 2, "seed": 0}
    assert summary["splits"]["train"]["n_slices"] == 2
    # val and test are scored whole.
    assert sorted(metrics.loc[metrics["split"] != "train", "slice"]) == [6, 7, 9, 10, 11]


def test_a_scored_train_slice_sees_its_true_neighbours_not_the_subsets(data, tmp_path, monkeypatch):
    # A 2.5-D input takes slices z-1 .. z+1 from z's whole block: the neighbours of a scored
    # train slice are train slices whether or not they are scored themselves.
    folder = data[0]
    blocks_seen = {}
    original = Predictor.slice_input

    def recording(self, raw_volume, z, allowed):
        blocks_seen[z] = list(allowed)
        return original(self, raw_volume, z, allowed)

    monkeypatch.setattr(Predictor, "slice_input", recording)
    evaluate_model(
        threshold_checkpoint(tmp_path),
        folder / "volume.h5",
        folder / "split.csv",
        scoring(train_slices=2),
        output_paths(tmp_path),
    )
    assert {z: blocks_seen[z] for z in (1, 4)} == {1: [0, 1, 2, 3, 4], 4: [0, 1, 2, 3, 4]}
    assert 0 not in blocks_seen and blocks_seen[10] == [9, 10, 11]


def test_scores_of_a_scored_train_slice_do_not_depend_on_the_subset(unet_run, unet_subset_run):
    every = pd.read_csv(unet_run["metrics"]).set_index(["split", "slice"])
    subset = pd.read_csv(unet_subset_run["metrics"]).set_index(["split", "slice"])
    pd.testing.assert_frame_equal(subset, every.loc[subset.index])


def test_every_train_slice_is_scored_when_the_setting_is_none(unet_run):
    summary = json.loads(unet_run["summary"].read_text())
    assert summary["train_slices"]["scored"] == [0, 1, 2, 3, 4]
    assert summary["train_slices"]["asked"] is None


def test_the_log_counts_the_scored_slices(data, tmp_path, caplog):
    folder = data[0]
    with caplog.at_level(logging.INFO):
        evaluate_model(
            threshold_checkpoint(tmp_path),
            folder / "volume.h5",
            folder / "split.csv",
            scoring(train_slices=3),
            output_paths(tmp_path),
        )
    messages = [r.message for r in caplog.records]
    assert "scoring 3 of the 5 labelled train slices" in messages
    progress = [m for m in messages if m.startswith("evaluate: ")]
    # 3 train + 2 val + 3 test slices.
    assert progress[0].startswith("evaluate: 1 of 8 slices, ")
    assert progress[-1].startswith("evaluate: 8 of 8 slices, ") and "done in" in progress[-1]


def test_a_model_of_hard_decisions_has_undefined_uncertainty_and_an_ece_of_its_error_rate(
    threshold_run,
):
    outputs, _ = threshold_run
    with h5py.File(outputs["uncertainty"], "r") as maps:
        assert list(maps["slice_index"][:]) == [9, 10, 11]
        assert maps.attrs["defined"] == False  # noqa: E712 (a numpy bool)
        assert np.isnan(maps["uncertainty"][:]).all()
    record = json.loads(outputs["summary"].read_text())["calibration"]
    accuracy = json.loads(outputs["summary"].read_text())["splits"]["test"]["accuracy"]
    assert record["has_probabilities"] is False and record["temperature"] is None
    assert record["test_ece"]["before"] == pytest.approx(1 - accuracy)
    assert np.isnan(record["test_ece"]["after"]) and np.isnan(record["error_auroc"]["uncertainty"])
    table = pd.read_csv(outputs["calibration"])
    assert set(table["probabilities"]) == {"raw"}
    assert table["pixels"].sum() == record["test_pixels"] == 3 * 24 * 24 - 5 * 24


def test_with_flip_tta_the_test_slices_carry_entropy_and_flip_disagreement(unet_run):
    with h5py.File(unet_run["uncertainty"], "r") as maps:
        assert json.loads(maps.attrs["maps"]) == ["uncertainty", "flip_disagreement"]
        for name in ("uncertainty", "flip_disagreement"):
            values = maps[name][:].astype(np.float32)
            assert values.shape == (3, 24, 24) and maps[name].dtype == np.float16
            assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1
            assert values.std() > 0
    record = json.loads(unet_run["summary"].read_text())["calibration"]
    assert set(record["error_auroc"]) == {"uncertainty", "flip_disagreement"}
    assert 0 <= record["error_auroc"]["uncertainty"] <= 1


def test_a_fitted_temperature_scales_the_written_probabilities(data, tmp_path):
    folder, raw, labels = data
    checkpoint_path = context_unet_checkpoint(tmp_path)
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({"fitted": True, "temperature": 2.5, "val_ece": {}}))
    outputs = output_paths(tmp_path / "out", probabilities=True)
    (tmp_path / "out").mkdir()
    settings = scoring(save_probabilities=True)
    evaluate_model(
        checkpoint_path,
        folder / "volume.h5",
        folder / "split.csv",
        settings,
        outputs,
        device="cpu",
        calibration=calibration,
    )
    predictor = Predictor(load_checkpoint(checkpoint_path), "cpu", settings.inference)
    logits = predictor.scores(context_stack(raw, 10, 1, [9, 10, 11]))
    with h5py.File(outputs["probabilities"], "r") as saved:
        assert json.loads(saved.attrs["temperature"]) == 2.5
        np.testing.assert_allclose(saved["probabilities"][1], softmax(logits, 2.5), atol=2e-3)
    record = json.loads(outputs["summary"].read_text())["calibration"]
    assert record["fitted"] and record["temperature"] == 2.5
    assert np.isfinite(record["test_ece"]["after"])
    assert record["test_ece"]["after"] != record["test_ece"]["before"]
    table = pd.read_csv(outputs["calibration"])
    assert set(table["probabilities"]) == {"raw", "scaled"}
