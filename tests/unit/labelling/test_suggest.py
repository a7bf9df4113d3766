"""The suggest job on a small volume whose noise grows along the stack: the unlabelled slices are
ranked by the model's uncertainty, spread out; a fully labelled stack ranks its guard slices and
says so; `best` picks among the models that have probabilities."""

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from helpers.checkpoints import checkpoint_of
from xrayseg.io.uncertainty import slice_means
from xrayseg.labelling.suggest import suggest_slices
from xrayseg.models import fit_pixel_model
from xrayseg.models.checkpoint import save_checkpoint
from xrayseg.settings.inference import InferenceSettings
from xrayseg.settings.labelling import SuggestSettings
from xrayseg.settings.layout import suggest_outputs

SPLITS = ["train"] * 14 + ["guard"] * 2 + ["val"] * 4 + ["guard"] * 2 + ["test"] * 8
SHAPE = (len(SPLITS), 32, 32)
INFERENCE = InferenceSettings(precision="fp32", channels_last=False)
UNLABELLED = [1, 3, 5, 6, 7, 9, 11, 12, 13, 24, 26]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suggest")
    field = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=SHAPE), 2)
    labels = np.digitize(field, np.percentile(field, [33, 66])).astype(np.uint8)
    # Noise grows along the stack: later slices are harder, so more uncertain.
    noise = np.linspace(0.05, 0.45, SHAPE[0])[:, None, None]
    raw = (labels / 2 + np.random.default_rng(1).normal(size=SHAPE) * noise).astype(np.float32)
    with h5py.File(folder / "volume.h5", "w") as volume:
        volume["raw"], volume["labels"] = raw, labels
        volume.attrs.update(
            {
                "class_names": json.dumps(["a", "b", "c"]),
                "label_values": json.dumps([0, 1, 2]),
            }
        )
    split = pd.DataFrame(
        {"slice": range(len(SPLITS)), "name": [f"s{i}" for i in range(len(SPLITS))]}
    )
    split["split"] = SPLITS
    split.to_csv(folder / "full.csv", index=False)
    split["labelled"] = ~split["slice"].isin(UNLABELLED)
    split.to_csv(folder / "sparse.csv", index=False)
    train = [z for z in range(14) if z not in UNLABELLED]
    arguments = {"trees": 8, "samples": 3000}
    params = fit_pixel_model(
        "rf", [raw[z] for z in train], [labels[z] for z in train], 3, arguments
    )
    for name, arch, model_params, score in (
        ("rf", "rf", params, 0.8),
        ("threshold", "threshold", {"thresholds": [0.25, 0.75], "order": [0, 1, 2]}, 0.9),
    ):
        (folder / "models" / name).mkdir(parents=True)
        (folder / "eval" / name).mkdir(parents=True)
        checkpoint = checkpoint_of(arch, model_params, model_name=name, class_names=["a", "b", "c"])
        save_checkpoint(checkpoint, folder / "models" / name / "model.pt")
        summary = {"splits": {"test": {"mean_iou": score}}}
        (folder / "eval" / name / "summary.json").write_text(json.dumps(summary))
    return folder


def run(data, split, tmp_path, min_distance=4, model="best"):
    names = ("rf", "threshold")
    inputs = {
        "checkpoints": [str(data / "models" / n / "model.pt") for n in names],
        "summaries": [str(data / "eval" / n / "summary.json") for n in names],
        "calibrations": [],
        "volume": str(data / "volume.h5"),
        "split": str(data / split),
    }
    outputs = {key: Path(path) for key, path in suggest_outputs(tmp_path).items()}
    suggest_slices(model, inputs, SuggestSettings(INFERENCE, min_distance), outputs)
    return (
        pd.read_csv(outputs["ranking"]),
        json.loads(outputs["summary"].read_text()),
        outputs,
    )


def test_unlabelled_slices_are_ranked_by_uncertainty_and_spread(data, tmp_path):
    ranking, summary, outputs = run(data, "sparse.csv", tmp_path)
    # best skips the threshold baseline (higher score, but no probabilities to rank by).
    assert summary["model"] == "rf" and summary["candidates_test_mean_iou"] == {"rf": 0.8}
    assert summary["kind"] == "unlabelled" and summary["candidates"] == len(UNLABELLED)
    assert sorted(ranking["slice"]) == UNLABELLED
    suggested = ranking.loc[ranking["suggested"]]
    assert suggested["mean_uncertainty"].is_monotonic_decreasing
    assert np.diff(sorted(suggested["slice"])).min() >= 4
    assert ranking.iloc[0]["mean_uncertainty"] == ranking["mean_uncertainty"].max()
    # Noise grows along the stack, and so does the uncertainty.
    assert ranking["slice"].corr(ranking["mean_uncertainty"], method="spearman") > 0.9
    assert summary["suggested"] == suggested["slice"].tolist()
    # The means in the table are those of the maps written (float16).
    written = slice_means(outputs["uncertainty"])
    assert sorted(written) == UNLABELLED
    for z, mean in zip(ranking["slice"], ranking["mean_uncertainty"], strict=True):
        assert mean == pytest.approx(written[z], abs=2e-3)
    assert outputs["panel"].read_bytes()[:4] == b"\x89PNG"


def test_a_fully_labelled_stack_ranks_its_guard_slices_and_says_so(data, tmp_path):
    ranking, summary, _ = run(data, "full.csv", tmp_path)
    assert summary["kind"] == "guard (labelled)"
    assert "every slice of the stack is labelled" in summary["note"]
    assert sorted(ranking["slice"]) == [14, 15, 20, 21]
    assert set(ranking["kind"]) == {"guard (labelled)"}


def test_a_named_model_without_probabilities_suggests_nothing(data, tmp_path):
    ranking, summary, _ = run(data, "sparse.csv", tmp_path, model="threshold")
    assert summary["model"] == "threshold" and not summary["has_uncertainty"]
    assert not ranking["suggested"].any() and ranking["mean_uncertainty"].isna().all()
