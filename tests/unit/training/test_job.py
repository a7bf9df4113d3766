"""Training jobs end to end on a tiny volume: checkpoints, 2.5-D inputs, the forest, preemption."""

import json
import signal
import threading
import time

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from xrayseg.data.context import context_stack
from xrayseg.data.split import slices_of, split_table
from xrayseg.data.synthetic import image_phases, make_phases
from xrayseg.inference.predictor import Predictor
from xrayseg.models import device
from xrayseg.models.checkpoint import load_checkpoint, load_plain
from xrayseg.patches.build import build_patches
from xrayseg.settings.architectures import CATALOGUE
from xrayseg.training import loop
from xrayseg.training.data import context_patches, load_patch_set
from xrayseg.training.defaults import with_defaults
from xrayseg.training.job import resume_path, train_model
from xrayseg.training.preemption import Preempted

UNET_25D = with_defaults(
    {
        "arch": "unet",
        "patch_size": 16,
        "width": 4,
        "depth": 2,
        "dropout": 0.1,
        "context": 1,
        "steps": 6,
        "val_every": 2,
        "batch_size": 16,
        "lr": 0.01,
        "patience": 5,
        "precision": "fp32",
    }
)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_volume(path, raw, labels):
    """A volume.h5 as ingest writes it (the attributes training reads)."""
    with h5py.File(path, "w") as volume:
        volume["raw"] = raw.astype(np.float32)
        volume["labels"] = labels.astype(np.uint8)
        volume.attrs.update(
            {
                "class_names": json.dumps(["pore", "YSZ", "Ni"]),
                "label_values": json.dumps([0, 128, 255]),
                "norm_low": 20000.0,
                "norm_high": 45000.0,
                "raw_names": json.dumps([f"s{z}" for z in range(len(raw))]),
                "config_hash": "test",
            }
        )


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A 20-slice 48x48 synthetic volume, its split and 16 px patches."""
    root = tmp_path_factory.mktemp("tiny_training")
    phases = make_phases((20, 48, 48), [0.3, 0.43, 0.27], 4, seed=1)
    grey = image_phases(phases, [22700, 35000, 40900], [2400, 1300, 1700], 1.0, 0.0, seed=1)
    write_volume(root / "volume.h5", (grey - 20000.0) / 25000.0, phases)
    split_table(["s"] * 20, 0.2, 0.25, 1).to_csv(root / "split.csv", index=False)
    keep_all = {"window": 0, "min_label_agreement": 0.95, "min_raw_correlation": 0.5}
    build_patches(
        root / "volume.h5", root / "split.csv", 16, 0, keep_all, root / "16px.h5", root / "16px.csv"
    )
    return root


def run_job(data, out, model_cfg, name="m"):
    train_model(
        name,
        model_cfg,
        data / "volume.h5",
        data / "split.csv",
        data / "16px.h5" if "patch_size" in model_cfg else None,
        out / name / "model.pt",
        out / name / "history.csv",
        threads=1,
        seed=3,
        device="cpu",
    )
    return load_checkpoint(out / name / "model.pt"), pd.read_csv(out / name / "history.csv")


def test_context_patches_never_read_a_slice_of_another_split(tmp_path):
    depth, side = 20, 8
    # Every voxel holds its slice index, so each channel says which slice it came from.
    raw = np.broadcast_to(np.arange(depth, dtype=np.float32)[:, None, None], (depth, side, side))
    write_volume(tmp_path / "volume.h5", raw, np.zeros((depth, side, side)))
    split = split_table(["s"] * depth, 0.2, 0.25, 1)
    for name in ("train", "val", "test"):
        block = slices_of(split, name)
        origins = np.array([[z, 0, 0] for z in block])
        stacks = context_patches(tmp_path / "volume.h5", block, origins, side, context=3)
        assert stacks.shape == (len(block), 7, side, side)
        assert set(np.unique(stacks).astype(int)) <= set(block), name
        # The middle channel is the patch's own slice; neighbours are in slice order.
        assert np.array_equal(stacks[:, 3, 0, 0], block)
        assert (np.diff(stacks[:, :, 0, 0], axis=1) >= 0).all()


def test_a_context_patch_set_matches_the_patches_and_the_prediction_stack(tiny_data):
    split = pd.read_csv(tiny_data / "split.csv")
    patch_set = load_patch_set(tiny_data / "16px.h5", "val", 2, tiny_data / "volume.h5", split)
    assert patch_set.images.shape[1:] == (5, 16, 16)
    with h5py.File(tiny_data / "16px.h5") as patches:
        z, y, x = patches["val"]["origins"][0]
    with h5py.File(tiny_data / "volume.h5") as volume:
        stack = context_stack(volume["raw"], int(z), 2, slices_of(split, "val"))
    # Training inputs are cut from exactly what prediction feeds the network.
    assert np.array_equal(patch_set.images[0].numpy(), stack[:, y : y + 16, x : x + 16])


def test_a_25d_unet_trains_and_its_checkpoint_rebuilds_it(tiny_data, tmp_path):
    checkpoint, history = run_job(tiny_data, tmp_path, UNET_25D)
    header = checkpoint.header
    assert header.context == 1 and header.in_channels == 3
    assert header.kind == "torch" and header.model_name == "m"
    assert header.arch_args == {"width": 4, "depth": 2, "dropout": 0.1}
    assert header.config["lr"] == 0.01
    assert header.class_names == ["pore", "YSZ", "Ni"]
    assert header.label_values == [0, 128, 255]
    assert header.normalisation == {"low": 20000.0, "high": 45000.0}
    assert header.step == 6 and header.best_step in (2, 4, 6)
    assert header.stopped_by == "steps" and header.validations == 3
    assert header.precision == "fp32" and header.device == "cpu"
    assert header.best_val_loss == pytest.approx(history["val_loss"].min())
    assert list(history.columns) == [
        "step",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
        "train_minutes",
        "stopped_by",
        "budget_steps",
        "budget_rule",
        "train_patches",
    ]
    assert list(history["step"]) == [2, 4, 6]
    assert list(history["stopped_by"].fillna("")) == ["", "", "steps"]
    assert not resume_path(tmp_path / "m" / "model.pt").exists()
    split = pd.read_csv(tiny_data / "split.csv")
    test_block = slices_of(split, "test")
    with h5py.File(tiny_data / "volume.h5") as volume:
        image = context_stack(volume["raw"], test_block[0], 1, test_block)
    probabilities = Predictor(checkpoint).probabilities(image)
    assert probabilities.shape == (3, 48, 48)
    assert np.allclose(probabilities.sum(0), 1, atol=1e-4)


def test_the_forest_trains_from_train_slices_and_predicts_from_its_checkpoint(tiny_data, tmp_path):
    checkpoint, history = run_job(
        tiny_data, tmp_path, {"arch": "rf", "trees": 4, "samples": 3000}, "forest"
    )
    header = checkpoint.header
    assert header.kind == "pixel" and header.parameters > 0 and header.device == "cpu"
    # Every argument is recorded, the catalogue's defaults for those the config leaves out.
    assert header.arch_args == {**CATALOGUE["rf"].arguments, "trees": 4, "samples": 3000}
    assert header.step is None and header.precision is None
    assert list(history.columns) == ["step", "seconds"] and list(history["step"]) == [0]
    split = pd.read_csv(tiny_data / "split.csv")
    z = slices_of(split, "test")[0]
    with h5py.File(tiny_data / "volume.h5") as volume:
        raw, labels = volume["raw"][z], volume["labels"][z]
    predicted = Predictor(checkpoint).classes(raw[None])
    assert (predicted == labels).mean() > 0.8


def test_sigterm_leaves_no_output_and_the_rerun_resumes(tiny_data, tmp_path):
    settings = {**UNET_25D, "context": 0, "steps": 20, "val_every": 2, "patience": 10}
    model = tmp_path / "m" / "model.pt"
    resume = resume_path(model)

    def preempt_after_first_validation():
        deadline = time.monotonic() + 120
        while not resume.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        signal.raise_signal(signal.SIGTERM)

    # Should the signal come late (a failing test), it must not kill pytest itself.
    outside = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    killer = threading.Thread(target=preempt_after_first_validation)
    try:
        killer.start()
        with pytest.raises(Preempted) as stopped:
            run_job(tiny_data, tmp_path, settings)
    finally:
        killer.join()
        signal.signal(signal.SIGTERM, outside)
    assert stopped.value.code == 143
    assert not model.exists() and not (tmp_path / "m" / "history.csv").exists()
    assert not [p for p in resume.parent.iterdir() if p.name.startswith(".")]  # no temp files
    interrupted_at = load_plain(resume)["state"]["step"]
    assert 2 <= interrupted_at < 20

    checkpoint, history = run_job(tiny_data, tmp_path, settings)
    assert list(history["step"]) == list(range(2, 21, 2))
    assert checkpoint.header.step == 20 and not resume.exists()

    uninterrupted, whole = run_job(tiny_data, tmp_path / "again", settings)
    assert np.array_equal(history["val_loss"], whole["val_loss"])
    for name, value in uninterrupted.payload.items():
        assert torch.equal(value, checkpoint.payload[name])


def test_a_resume_file_from_other_settings_is_ignored(tiny_data, tmp_path, caplog):
    settings = {**UNET_25D, "context": 0, "steps": 4}
    model = tmp_path / "m" / "model.pt"
    model.parent.mkdir(parents=True)
    torch.save({"run_hash": "other settings", "state": {"step": 7}}, resume_path(model))
    with caplog.at_level("INFO"):
        checkpoint, history = run_job(tiny_data, tmp_path, settings)
    assert "belongs to other settings" in caplog.text
    assert list(history["step"]) == [2, 4]


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_follows_the_cpu_and_is_logged_and_recorded(
    tiny_data, tmp_path, monkeypatch, caplog, native
):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: native)
    settings = {**UNET_25D, "context": 0, "steps": 2, "val_every": 2, "precision": "auto"}
    with caplog.at_level("INFO", logger="xrayseg.training.job"):
        checkpoint, _ = run_job(tiny_data, tmp_path, settings)
    expected = "bf16" if native else "fp32"
    assert checkpoint.header.precision == expected
    why = "native bf16 on this CPU" if native else "no native bf16 on this CPU"
    assert f"{expected} (auto: {why})" in caplog.text


def test_max_minutes_stop_is_recorded_in_the_checkpoint_and_history(
    tiny_data, tmp_path, monkeypatch
):
    now = [0.0]

    def five_minutes_a_call():  # the loop reads the clock before and after each interval
        now[0] += 300.0
        return now[0]

    monkeypatch.setattr(loop, "clock", five_minutes_a_call)
    settings = {**UNET_25D, "context": 0, "steps": 20, "val_every": 2, "max_minutes": 8}
    checkpoint, history = run_job(tiny_data, tmp_path, settings)
    # 5 minutes of training after step 2, 10 after step 4: past the 8-minute guard.
    assert checkpoint.header.stopped_by == "max_minutes" and checkpoint.header.step == 4
    assert list(history["stopped_by"].fillna("")) == ["", "max_minutes"]
    assert list(history["train_minutes"]) == [5.0, 10.0]
    assert checkpoint.payload


def test_an_auto_budget_is_logged_and_recorded_in_the_checkpoint_and_history(
    tiny_data, tmp_path, caplog
):
    settings = {
        **UNET_25D,
        "context": 0,
        "steps": "auto",
        "passes": 2,
        "min_steps": 2,
        "max_steps": 100,
        "val_every": 4,
    }
    with caplog.at_level("INFO", logger="xrayseg.training.loop"):
        checkpoint, history = run_job(tiny_data, tmp_path, settings)
    patches = len(load_patch_set(tiny_data / "16px.h5", "train"))
    steps = -(-2 * patches // settings["batch_size"])
    assert 2 < steps < 100  # the passes decide, not the bounds
    budget = checkpoint.header.budget
    assert budget["steps"] == steps and budget["rule"] == "passes"
    assert budget["train_patches"] == patches and budget["passes"] == 2
    assert checkpoint.header.step == steps and checkpoint.header.stopped_by == "steps"
    assert set(history["budget_steps"]) == {steps}
    assert set(history["budget_rule"]) == {"passes"}
    assert set(history["train_patches"]) == {patches}
    assert history["step"].iloc[-1] == steps
    assert f"training budget: {steps} steps: 2 passes over {patches} train patches" in caplog.text


def test_incomplete_training_settings_stop_the_job_naming_the_keys(tiny_data, tmp_path):
    settings = {k: v for k, v in UNET_25D.items() if k != "val_every"}
    with pytest.raises(ValueError, match="training.val_every"):
        run_job(tiny_data, tmp_path, settings)
