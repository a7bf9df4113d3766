"""The training loop on tiny in-memory patch sets: learning, the step budget, validation,
repeatability, resume, early stopping and the wall-clock guard."""

import io

import numpy as np
import pytest
import torch
from scipy import ndimage

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.models import build_network
from xrayseg.training import loop
from xrayseg.training.data import PatchSet
from xrayseg.training.defaults import schema_defaults, with_defaults
from xrayseg.training.losses import SegmentationLoss, dice_loss, pixel_counts
from xrayseg.training.sampling import BatchStream, validation_indices
from xrayseg.training.schedule import cosine_factor
from xrayseg.training.settings import SETTING_KEYS, check_complete

TINY_UNET = {"width": 4, "depth": 2, "dropout": 0.1}
SETTINGS = with_defaults(
    {
        "steps": 12,
        "val_every": 3,
        "batch_size": 8,
        "lr": 0.01,
        "patience": 10,
        "augment": True,
        "precision": "fp32",
        "channels_last": False,
    }
)


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


def train(settings, seed=0, state=None, on_validation=None, network_seed=0, val_count=8):
    torch.manual_seed(network_seed)
    network = build_network("unet", 3, 1, TINY_UNET)
    state = loop.fit_network(
        network,
        blob_patches(24),
        blob_patches(val_count, seed=1),
        {**SETTINGS, **settings},
        "cpu",
        seed,
        state,
        on_validation,
    )
    return network, state


def scripted_validation(monkeypatch, losses, seen=None):
    """Make evaluate_patches return these validation losses in turn (and note each set's size)."""
    scripted = iter(losses)

    def fake(network, patch_set, *args, **kwargs):
        if seen is not None:
            seen.append(len(patch_set))
        return next(scripted), 0.5

    monkeypatch.setattr(loop, "evaluate_patches", fake)


def test_a_tiny_run_lowers_the_loss():
    _, state = train({"steps": 18})
    history = state["history"]
    assert [row["step"] for row in history] == [3, 6, 9, 12, 15, 18]
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    assert min(row["val_loss"] for row in history) < history[0]["val_loss"]
    assert state["best_val_loss"] == min(row["val_loss"] for row in history)


def test_the_step_budget_and_the_validation_interval_are_honoured(monkeypatch):
    steps_taken = []
    original = loop.train_step

    def counting(*args, **kwargs):
        steps_taken.append(args[-1].shape[0])  # the batch's labels
        return original(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", counting)
    seen = []
    scripted_validation(monkeypatch, [1.0, 0.9, 0.8], seen)
    _, state = train({"steps": 10, "val_every": 4, "batch_size": 5})
    assert len(steps_taken) == 10 and set(steps_taken) == {5}  # every batch full
    # Every val_every steps, and after the last step.
    assert [row["step"] for row in state["history"]] == [4, 8, 10]
    assert state["step"] == 10 and state["stopped_by"] == "steps"
    assert [row["stopped_by"] for row in state["history"]] == ["", "", "steps"]
    assert seen == [8, 8, 8]  # all 8 val patches: fewer than val_patches


def test_a_grown_batch_trains_on_larger_steps_at_a_higher_learning_rate(monkeypatch):
    batches = []
    original = loop.train_step

    def counting(network, optimizer, *args, **kwargs):
        batches.append((args[-1].shape[0], optimizer.param_groups[0]["initial_lr"]))
        return original(network, optimizer, *args, **kwargs)

    monkeypatch.setattr(loop, "train_step", counting)
    scripted_validation(monkeypatch, [1.0, 0.9, 0.8])
    # 4 passes over 24 patches: 24 steps of 4, past the cap of 6; steps of 16 fit it.
    grown = {"steps": "auto", "passes": 4, "min_steps": 2, "max_steps": 6, "batch_size": 4}
    _, state = train({**grown, "max_batch_size": 16, "lr_schedule": "cosine"})
    assert state["budget"]["batch_size"] == 16 and state["budget"]["rule"] == "batch"
    assert len(batches) == 6 and {size for size, _ in batches} == {16}
    assert [lr for _, lr in batches] == pytest.approx([0.01 * 2] * 6)
    batches.clear()
    scripted_validation(monkeypatch, [1.0, 0.9, 0.8])
    _, state = train({**grown, "lr_schedule": "cosine"})
    assert state["budget"]["rule"] == "cap" and {size for size, _ in batches} == {4}
    assert [lr for _, lr in batches] == pytest.approx([0.01] * 6)


def test_validation_uses_a_fixed_seeded_subset_of_at_most_val_patches(monkeypatch):
    seen = []
    scripted_validation(monkeypatch, [1.0, 0.9], seen)
    train({"steps": 6, "val_patches": 5}, val_count=20)
    assert seen == [5, 5]
    chosen = validation_indices(20, 5, seed=0)
    assert torch.equal(chosen, validation_indices(20, 5, seed=0))
    assert not torch.equal(chosen, validation_indices(20, 5, seed=1))
    assert len(set(chosen.tolist())) == 5 and chosen.tolist() == sorted(chosen.tolist())
    assert torch.equal(validation_indices(4, 5, seed=0), torch.arange(4))


def test_batches_come_from_reshuffled_passes_over_every_patch():
    stream = BatchStream(count=10, batch_size=4, seed=3)
    drawn = torch.cat([stream.indices(step) for step in range(5)]).tolist()  # two passes
    assert sorted(drawn[:10]) == list(range(10)) and sorted(drawn[10:]) == list(range(10))
    assert drawn[:10] != drawn[10:]  # a fresh order each pass
    # A pure function of (seed, step): what a resumed run relies on.
    assert torch.equal(BatchStream(10, 4, 3).indices(3), stream.indices(3))
    assert not torch.equal(BatchStream(10, 4, 4).indices(3), stream.indices(3))
    # Fewer patches than a batch: the batch spans passes.
    assert BatchStream(3, 8, 0).indices(0).shape == (8,)


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    first, _ = train({"steps": 6}, seed=5)
    second, _ = train({"steps": 6}, seed=5)
    other, _ = train({"steps": 6}, seed=6)
    pairs = list(zip(first.state_dict().values(), second.state_dict().values(), strict=True))
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(first.state_dict().values(), other.state_dict().values(), strict=True)
    )


class Killed(Exception):
    pass


def test_a_run_resumed_mid_budget_ends_where_an_uninterrupted_one_does():
    uninterrupted, whole = train({"steps": 12}, seed=2)
    saved = io.BytesIO()

    def kill_at_step_six(state):
        if state["step"] == 6:
            # What the job writes to resume.pt, read back as the restarted job reads it.
            torch.save(state, saved)
            raise Killed

    with pytest.raises(Killed):
        train({"steps": 12}, seed=2, on_validation=kill_at_step_six)
    saved.seek(0)
    state = torch.load(saved, weights_only=True)
    resumed, finished = train({"steps": 12}, seed=2, state=state, network_seed=99)
    assert [row["step"] for row in finished["history"]] == [3, 6, 9, 12]
    assert [row["val_loss"] for row in finished["history"]] == [
        row["val_loss"] for row in whole["history"]
    ]
    for a, b in zip(
        uninterrupted.state_dict().values(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    for name, value in whole["best_weights"].items():
        assert torch.equal(value, finished["best_weights"][name])


def remember_weights(store):
    def remember(state):
        store[state["step"]] = {k: v.clone() for k, v in state["weights"].items()}

    return remember


def test_early_stopping_counts_validations_and_keeps_the_best(monkeypatch):
    scripted_validation(monkeypatch, [1.0, 0.8, 0.9, 0.85, 0.95, 0.7])
    weights_after = {}
    _, state = train(
        {"steps": 30, "val_every": 2, "patience": 3}, on_validation=remember_weights(weights_after)
    )
    # Validation 2 (step 4) was best; validations 3, 4 and 5 did not improve.
    assert state["step"] == 10 and state["stopped_by"] == "patience"
    assert state["best_step"] == 4 and state["best_val_loss"] == 0.8
    for name, value in state["best_weights"].items():
        assert torch.equal(value, weights_after[4][name])


def test_max_minutes_stops_at_the_next_validation_and_keeps_the_best(monkeypatch, caplog):
    now = [0.0]
    monkeypatch.setattr(loop, "clock", lambda: now[0])
    losses = iter([1.0, 0.8, 0.9, 0.7, 0.6])

    def one_minute_per_validation(*args, **kwargs):
        now[0] += 60.0
        return next(losses), 0.5

    monkeypatch.setattr(loop, "evaluate_patches", one_minute_per_validation)
    weights_after = {}
    with caplog.at_level("INFO", logger="xrayseg.training.loop"):
        _, state = train(
            {"steps": 30, "val_every": 2, "max_minutes": 2.5},
            on_validation=remember_weights(weights_after),
        )
    # 2 minutes after validation 2 is under the limit; validation 3 (3 minutes) is past it.
    assert state["step"] == 6 and state["stopped_by"] == "max_minutes"
    assert state["history"][-1]["stopped_by"] == "max_minutes"
    assert state["history"][-1]["train_minutes"] == pytest.approx(3.0)
    assert state["best_step"] == 4
    for name, value in state["best_weights"].items():
        assert torch.equal(value, weights_after[4][name])
    assert "max_minutes" in caplog.text and "best step 4" in caplog.text


def test_without_max_minutes_the_clock_does_not_stop_training(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(loop, "clock", lambda: now[0])

    def one_hour_per_validation(*args, **kwargs):
        now[0] += 3600.0
        return 1.0 - now[0] / 1e5, 0.5

    monkeypatch.setattr(loop, "evaluate_patches", one_hour_per_validation)
    _, state = train({"steps": 6, "max_minutes": None})
    assert state["stopped_by"] == "steps" and state["step"] == 6


def test_cosine_schedule_lowers_the_learning_rate_every_step():
    assert cosine_factor(0, 100, 0.1) == 1.0 and cosine_factor(100, 100, 0.1) == pytest.approx(0.1)
    assert cosine_factor(50, 100, 0.1) == pytest.approx(0.55)
    _, state = train({"steps": 12, "lr_schedule": "cosine", "lr": 0.01, "min_lr_factor": 0.1})
    rates = [row["lr"] for row in state["history"]]
    # Each row holds the rate of the interval's last step (steps 2, 5, 8, 11 counted from 0).
    assert rates == pytest.approx([0.01 * cosine_factor(s, 12, 0.1) for s in (2, 5, 8, 11)])
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))


def test_plateau_schedule_halves_the_rate_when_validation_stalls(monkeypatch):
    scripted_validation(monkeypatch, [1.0] * 6)
    _, state = train({"steps": 18, "lr_schedule": "plateau", "patience": 6})
    rates = [row["lr"] for row in state["history"]]
    # patience 6 -> the rate halves after 2 validations without improvement.
    assert rates[0] == pytest.approx(0.01) and rates[-1] == pytest.approx(0.005)


def test_bf16_and_channels_last_train_on_the_cpu():
    _, state = train(
        {"steps": 6, "precision": "bf16", "channels_last": True, "augment": False}, val_count=4
    )
    assert all(np.isfinite(row["train_loss"]) for row in state["history"])
    assert state["history"][-1]["train_loss"] < state["history"][0]["train_loss"] * 1.05


def test_incomplete_settings_name_the_missing_keys():
    settings = {k: v for k, v in SETTINGS.items() if k not in ("steps", "val_every")}
    with pytest.raises(ValueError, match=r"training\.steps, training\.val_every"):
        check_complete(settings)
    network = build_network("unet", 3, 1, TINY_UNET)
    with pytest.raises(ValueError, match="training.steps"):
        loop.fit_network(network, blob_patches(4), blob_patches(4), settings, "cpu", 0)


def test_the_loop_reads_exactly_the_schemas_training_settings():
    import yaml

    from helpers.workflow import REPO

    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    training = schema["properties"]["training"]["properties"]
    assert set(SETTING_KEYS) == set(training)
    assert all("default" in spec for spec in training.values()), "every setting has a default"
    assert schema_defaults() == {key: spec["default"] for key, spec in training.items()}
    entry = schema["properties"]["models"]["additionalProperties"]["properties"]
    assert set(training) <= set(entry), "every training setting can be set per model"


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


# --- 3-D patches (the 3-D UNet) ------------------------------------------------------------------


def blob_cubes(count, depth=8, side=16, seed=0):
    """3-D patches (N, 1, D, H, W) whose class follows smoothed noise in 3-D."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((count, depth, side, side)), (0, 2, 2, 2))
    labels = np.digitize(fields, np.quantile(fields, [0.33, 0.66]))
    raw = np.array([0.2, 0.5, 0.8])[labels] + rng.normal(0, 0.1, labels.shape)
    return PatchSet(
        torch.from_numpy(raw.astype(np.float32))[:, None], torch.from_numpy(labels.astype(np.int64))
    )


@pytest.mark.parametrize("channels_last", [False, True])
def test_a_3d_unet_trains_on_3d_patches_with_every_augmentation(channels_last):
    torch.manual_seed(0)
    network = build_network("unet3d", 3, 1, {"width": 2, "depth": 2, "dropout": 0.1})
    augment = {name: {"p": 0.5} for name in ("zoom", "contrast", "gamma", "blur", "cutout")}
    settings = {
        **SETTINGS,
        "steps": 12,
        "val_every": 6,
        "batch_size": 4,
        "dice_weight": 0.5,
        "augment": augment,
        "channels_last": channels_last,
    }
    state = loop.fit_network(network, blob_cubes(12), blob_cubes(4, seed=1), settings, "cpu", 0)
    history = state["history"]
    assert [row["step"] for row in history] == [6, 12]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert state["best_weights"]["head.weight"].dim() == 5


def test_losses_and_counts_take_3d_logits():
    labels = torch.randint(0, 3, (2, 4, 8, 8))
    perfect = 100 * torch.nn.functional.one_hot(labels, 3).permute(0, 4, 1, 2, 3).float()
    assert float(dice_loss(perfect, labels)) < 1e-3
    assert float(dice_loss(-perfect, labels)) > 0.9
    masked = labels.clone()
    masked[:, :2] = IGNORE_INDEX
    right, counted = pixel_counts(perfect, masked)
    assert int(counted) == int(right) == 2 * 2 * 8 * 8


def test_a_loss_that_stops_being_a_number_stops_training_with_the_fixes(monkeypatch):
    """Weights gone NaN predict one class: training must stop, not hand on such a model."""
    original = loop.Trainer.train_steps

    def nan_after_first(self, train_set, stream, first, count):
        loss, accuracy, lr = original(self, train_set, stream, first, count)
        return (float("nan") if first >= 3 else loss), accuracy, lr

    monkeypatch.setattr(loop.Trainer, "train_steps", nan_after_first)
    with pytest.raises(FloatingPointError, match=r"step 6 .*training.lr.*training.precision"):
        train({"steps": 12})


@pytest.mark.parametrize(
    "shape, memory_format",
    [
        ((4, 3, 6, 5), torch.contiguous_format),
        ((4, 3, 6, 5), torch.channels_last),
        ((2, 4, 3, 6, 5), torch.contiguous_format),
    ],
)
def test_pixel_counts_match_a_plain_count_in_any_layout(shape, memory_format):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(shape, generator=generator).contiguous(memory_format=memory_format)
    labels = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=generator)
    labels[0] = IGNORE_INDEX
    predicted = logits.numpy().argmax(axis=1)
    valid = labels.numpy() != IGNORE_INDEX
    right, counted = pixel_counts(logits, labels)
    assert int(counted) == valid.sum()
    assert int(right) == ((predicted == labels.numpy()) & valid).sum()
    assert 0 < int(right) < int(counted)
