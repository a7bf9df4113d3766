"""The training loop on tiny in-memory patch sets: learning, repeatability, resume, early stop."""

import io

import numpy as np
import pytest
import torch
from scipy import ndimage

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import build_network
from xrayseg.training import loop
from xrayseg.training.data import PatchSet
from xrayseg.training.losses import SegmentationLoss, dice_loss, pixel_counts

TINY_UNET = {"width": 4, "depth": 2, "dropout": 0.1}
SETTINGS = {
    "epochs": 4,
    "batch_size": 8,
    "lr": 0.01,
    "patience": 10,
    "augment": True,
    "precision": "fp32",
}


@pytest.fixture(autouse=True)
def one_thread():
    """One thread: tiny tensors gain nothing from more, and on a shared machine they lose a lot."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def blob_patches(count, side=16, seed=0):
    """Patches whose class follows smoothed noise and whose grey value tells the class."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((count, side, side)), (0, 2, 2))
    labels = np.digitize(fields, np.quantile(fields, [0.33, 0.66]))
    raw = np.array([0.2, 0.5, 0.8])[labels] + rng.normal(0, 0.1, labels.shape)
    return PatchSet(
        torch.from_numpy(raw.astype(np.float32))[:, None], torch.from_numpy(labels.astype(np.int64))
    )


def train(settings, seed=0, state=None, on_epoch_end=None, network_seed=0):
    torch.manual_seed(network_seed)
    network = build_network("unet", 3, 1, TINY_UNET)
    state = loop.fit_network(
        network,
        blob_patches(24),
        blob_patches(8, seed=1),
        {**SETTINGS, **settings},
        "cpu",
        seed,
        state,
        on_epoch_end,
    )
    return network, state


def test_a_tiny_run_lowers_the_loss():
    _, state = train({"epochs": 6})
    history = state["history"]
    assert [row["epoch"] for row in history] == list(range(1, 7))
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    assert min(row["val_loss"] for row in history) < history[0]["val_loss"]
    assert state["best_val_loss"] == min(row["val_loss"] for row in history)


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    first, _ = train({"epochs": 2}, seed=5)
    second, _ = train({"epochs": 2}, seed=5)
    other, _ = train({"epochs": 2}, seed=6)
    pairs = list(zip(first.state_dict().values(), second.state_dict().values(), strict=True))
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(first.state_dict().values(), other.state_dict().values(), strict=True)
    )


class Killed(Exception):
    pass


def test_a_resumed_run_continues_the_epochs_and_ends_where_an_uninterrupted_one_does():
    uninterrupted, whole = train({"epochs": 4}, seed=2)
    saved = io.BytesIO()

    def kill_after_two(state):
        if state["epoch"] == 2:
            # What the job writes to resume.pt, read back as the restarted job reads it.
            torch.save(state, saved)
            raise Killed

    with pytest.raises(Killed):
        train({"epochs": 4}, seed=2, on_epoch_end=kill_after_two)
    saved.seek(0)
    state = torch.load(saved, weights_only=True)
    resumed, finished = train({"epochs": 4}, seed=2, state=state, network_seed=99)
    assert [row["epoch"] for row in finished["history"]] == [1, 2, 3, 4]
    assert [row["val_loss"] for row in finished["history"]] == [
        row["val_loss"] for row in whole["history"]
    ]
    for a, b in zip(
        uninterrupted.state_dict().values(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_early_stopping_keeps_the_best_epoch(monkeypatch):
    scripted = iter([1.0, 0.8, 0.9, 0.85, 0.95, 0.7])
    monkeypatch.setattr(loop, "evaluate_patches", lambda *args, **kwargs: (next(scripted), 0.5))
    weights_after = {}

    def remember(state):
        weights_after[state["epoch"]] = {k: v.clone() for k, v in state["weights"].items()}

    _, state = train({"epochs": 10, "patience": 3}, on_epoch_end=remember)
    assert state["epoch"] == 5  # epoch 2 was best; 3, 4 and 5 did not improve
    assert state["best_epoch"] == 2 and state["best_val_loss"] == 0.8
    for name, value in state["best_weights"].items():
        assert torch.equal(value, weights_after[2][name])


def test_cosine_schedule_lowers_the_learning_rate_each_epoch():
    _, state = train({"epochs": 4, "lr_schedule": "cosine", "lr": 0.01, "min_lr_factor": 0.1})
    rates = [row["lr"] for row in state["history"]]
    assert rates[0] == pytest.approx(0.01)
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    assert rates[-1] > 0.001


def test_plateau_schedule_halves_the_rate_when_validation_stalls(monkeypatch):
    monkeypatch.setattr(loop, "evaluate_patches", lambda *args, **kwargs: (1.0, 0.5))
    _, state = train({"epochs": 5, "lr_schedule": "plateau", "patience": 6})
    rates = [row["lr"] for row in state["history"]]
    assert rates[0] == pytest.approx(0.01) and rates[-1] < rates[0]


def test_bf16_and_channels_last_train_on_the_cpu():
    _, state = train({"epochs": 2, "precision": "bf16", "channels_last": True, "augment": False})
    assert all(np.isfinite(row["train_loss"]) for row in state["history"])
    assert state["history"][-1]["train_loss"] < state["history"][0]["train_loss"] * 1.05


def test_loss_ignores_pixels_labelled_ignore():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 4, 4)
    labels = torch.randint(0, 3, (2, 4, 4))
    masked = labels.clone()
    masked[:, :2] = IGNORE_INDEX
    # Ignored pixels change nothing: any logits there give the same loss.
    other = logits.clone()
    other[:, :, :2] = 50 * torch.randn(2, 3, 2, 4)
    for weight in (0.0, 1.0):
        loss_fn = SegmentationLoss(dice_weight=weight)
        assert torch.allclose(loss_fn(logits, masked), loss_fn(other, masked))
        assert not torch.allclose(loss_fn(logits, labels), loss_fn(other, labels))
    right, counted = pixel_counts(logits, masked)
    assert int(counted) == 16


def test_dice_loss_is_zero_for_a_confident_correct_prediction():
    labels = torch.randint(0, 3, (2, 8, 8))
    perfect = 100 * torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).float()
    assert float(dice_loss(perfect, labels)) < 1e-3
    assert float(dice_loss(-perfect, labels)) > 0.9


def test_training_defaults_match_the_schema():
    import yaml

    from helpers.workflow import REPO

    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    training = schema["properties"]["training"]["properties"]
    assert {key: spec["default"] for key, spec in training.items()} == loop.DEFAULT_SETTINGS
    entry = schema["properties"]["models"]["additionalProperties"]["properties"]
    assert set(training) <= set(entry), "every training setting can be set per model"
